"""libvirt's lease helper in the lab. Debian's libvirt_leaseshelper writes
/var/lib/libvirt/dnsmasq/<bridge>.status, a fixed path: the server that runs
it as its lease script runs in a mount namespace of its own where a lab
folder is mounted there, so nothing on the host is touched."""

from __future__ import annotations

import shutil
from pathlib import Path

LEASESHELPER = Path("/usr/lib/libvirt/libvirt_leaseshelper")
UNSHARE = shutil.which("unshare") or "/usr/bin/unshare"


def leaseshelper_world(workdir: Path, binary: Path | str, name: str) -> tuple:
    """A wrapper script that runs `binary` (with its arguments) in a private
    mount namespace where /var/lib/libvirt is the lab's folder, and the
    folder where the helper's .status files appear: (wrapper, status_dir)."""
    state = workdir / "var-lib-libvirt"
    (state / "dnsmasq").mkdir(parents=True)
    # /var/lib/libvirt (or /var/lib, when it has no libvirt folder) becomes
    # the lab's folder for the server and its scripts only.
    target = "/var/lib/libvirt" if Path("/var/lib/libvirt").is_dir() else "/var/lib"
    source = state if target == "/var/lib/libvirt" else workdir / "var-lib"
    if target == "/var/lib":
        source.mkdir()
        (source / "libvirt").symlink_to(state)
    wrapper = workdir / f"{name}-in-mountns.sh"
    wrapper.write_text(f"""#!/bin/sh
exec {UNSHARE} -m --propagation private sh -c \\
  'mount --bind {source} {target} && exec {binary} "$@"' {name} "$@"
""")
    wrapper.chmod(0o755)
    return wrapper, state / "dnsmasq"
