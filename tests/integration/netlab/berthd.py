"""berthd in the lab: its config, its binaries, starting it, and talking to
its control socket (berthctl, or HTTP directly)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Optional, Sequence

from .core import HERE, BerthdUnavailable, LabError, run
from .lab import Lab
from .leasefiles import read_berthd_leases
from .servers import BridgeConfig, Server


def berthd_config(database: Path | str, bridges: Sequence[BridgeConfig] = (BridgeConfig(),),
                  log_level: str = "debug", extra: str = "") -> str:
    """The TOML berthd reads (see docs for the full format)."""

    def q(s) -> str:
        return json.dumps(str(s))  # a JSON string is a valid TOML basic string

    lines = ["[daemon]", f"database = {q(database)}", f"log_level = {q(log_level)}"]
    if extra:
        lines.append(extra.rstrip("\n"))
    for b in bridges:
        b.validate()
        lines += ["", "[[bridge]]", f"name = {q(b.name)}", f"address = {q(b.address)}",
                  f"pool = {q(b.pool[0] + '-' + b.pool[1])}", f"lease_time = {int(b.lease_time)}",
                  f"domain = {q(b.domain)}"]
        if b.extra:
            lines.append(b.extra.rstrip("\n"))
    return "\n".join(lines) + "\n"


class Berthd(Server):
    kind = "berthd"

    def __init__(self, lab, process, bridges, workdir, config_path: Path, db_path: Path,
                 socket_path: Optional[Path] = None):
        super().__init__(lab, process, bridges, workdir)
        self.config_path = config_path
        self.db_path = db_path
        self.socket_path = socket_path

    def leases(self) -> list:
        return read_berthd_leases(self.db_path)

    def ctl(self, *args: str, check: bool = True, timeout: float = 20.0,
            json_out: bool = False):
        """Runs berthctl against this berthd (in the host namespace). With
        json_out, parses --json output; else returns the CompletedProcess."""
        binary = berthctl_path()
        if binary is None:
            raise BerthdUnavailable("no berthctl binary: set $BERTHCTL")
        argv = [str(binary), "--socket", str(self.socket_path)]
        if json_out:
            argv.append("--json")
        r = run(argv + list(args), timeout=timeout, check=False)
        if check and r.returncode != 0:
            raise LabError(f"berthctl {' '.join(args)} failed ({r.returncode}): "
                           f"{r.stderr.strip() or r.stdout.strip()}")
        return json.loads(r.stdout) if json_out and r.returncode == 0 else r


def berthd_path() -> Optional[Path]:
    """$BERTHD, else build/server/berthd under the source tree; None if absent."""
    candidates = []
    if os.environ.get("BERTHD"):
        candidates.append(Path(os.environ["BERTHD"]))
    source = Path(os.environ.get("BERTH_SOURCE_DIR", HERE.parent.parent))
    candidates.append(source / "build" / "server" / "berthd")
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return c
    return None


def berthctl_path() -> Optional[Path]:
    env = os.environ.get("BERTHCTL")
    if env:
        return Path(env) if Path(env).exists() else None
    berthd = berthd_path()
    if berthd is not None:
        candidate = berthd.parent.parent / "cli" / "berthctl"
        if candidate.exists():
            return candidate
    return None


def start_berthd(lab: Lab, config_text: Optional[str] = None, *,
                 bridges: Sequence[BridgeConfig] = (BridgeConfig(),), log_level: str = "debug",
                 ready_timeout: float = 10.0, attach: bool = True,
                 binary: Optional[Path] = None, env: Optional[dict] = None) -> Berthd:
    """Runs `berthd --config FILE` in the host namespace and waits (bounded)
    until its log says "serving"; then enslaves waiting clients to the
    bridge(s). `config_text` may use @DATABASE@ for the lab's database path;
    without it a config is generated from `bridges`. berthd creates the
    bridges itself. `env`: variables added to berthd's environment (such as
    DBUS_SYSTEM_BUS_ADDRESS). Raises BerthdUnavailable (a SkipTest) with no
    binary."""
    binary = binary or berthd_path()
    if binary is None:
        raise BerthdUnavailable("no berthd binary: set $BERTHD or build build/server/berthd")
    workdir = lab.subdir(f"berthd-{lab.seq()}")
    db_path = workdir / "berth.db"
    config_path = workdir / "berth.toml"
    if config_text is None:
        config_text = berthd_config(db_path, bridges, log_level)
    else:
        config_text = config_text.replace("@DATABASE@", str(db_path))
    socket_path = workdir / "berthd.sock"
    if "control_socket" not in config_text:
        # The lab's own control socket, never /run/berth (house rule 5).
        config_text = re.sub(r"^\[daemon\]\n", f'[daemon]\ncontrol_socket = "{socket_path}"\n',
                             config_text, count=1, flags=re.M)
        if "control_socket" not in config_text:
            config_text = f'[daemon]\ncontrol_socket = "{socket_path}"\n' + config_text
    if not re.search(r"^\[dns\]", config_text, re.M):
        # Never forward to the machine's own resolvers (house rule 5): a
        # resolv.conf of the lab's, without nameservers, unless a test names
        # its upstreams in its own [dns] table.
        (workdir / "resolv.conf").write_text("# no upstreams in the lab\n")
        config_text += f'\n[dns]\nresolv_conf = "{workdir / "resolv.conf"}"\n'
    config_path.write_text(config_text)
    process = lab.host().spawn([str(binary), "--config", str(config_path)],
                               log=workdir / "berthd.log",
                               env={**os.environ, **env} if env else None)
    process.wait_for_log(r"serving", ready_timeout, "berthd to log \"serving\"")
    if attach:
        for b in bridges:
            lab.attach_all(b.name)
    return Berthd(lab, process, bridges, workdir, config_path, db_path, socket_path)


class ControlClient:
    """HTTP/1.1 to berthd's control socket, for tests that need many requests
    fast (berthctl would start a process for each)."""

    def __init__(self, socket_path: Path | str, timeout: float = 10.0):
        import http.client
        import socket as _socket

        class _Conn(http.client.HTTPConnection):
            def connect(self):
                self.sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
                self.sock.settimeout(timeout)
                self.sock.connect(str(socket_path))

        self._conn = _Conn("localhost", timeout=timeout)

    def request(self, method: str, path: str, body=None) -> tuple:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data is not None else {}
        self._conn.request(method, path, body=data, headers=headers)
        r = self._conn.getresponse()
        text = r.read().decode(errors="replace")
        try:
            parsed = json.loads(text) if text else None
        except json.JSONDecodeError:
            parsed = text
        return r.status, parsed

    def close(self):
        self._conn.close()
