"""The lab's network namespaces: commands and processes run inside them, and
what they hold (the host's bridge, a client's veth)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Sequence

from .core import DEFAULT_ADDRESS, DEFAULT_BRIDGE, IP, check_lab_address, run
from .process import Process

if TYPE_CHECKING:
    from .lab import Lab


class Namespace:
    def __init__(self, lab: "Lab", name: str):
        self.lab = lab
        self.name = name

    def __repr__(self):
        return f"<Namespace {self.name}>"

    def exec_argv(self, argv: Sequence[str]) -> list:
        # `ip netns exec` setns()es and then execs argv: the PID we get is argv's.
        return [IP, "netns", "exec", self.name, *argv]

    def run(self, argv: Sequence[str], timeout: float = 10.0, check: bool = True,
            input: Optional[bytes] = None) -> subprocess.CompletedProcess:
        return run(self.exec_argv(argv), timeout=timeout, check=check, input=input)

    def ip(self, *args: str, timeout: float = 10.0, check: bool = True) -> subprocess.CompletedProcess:
        return run([IP, "-n", self.name, *args], timeout=timeout, check=check)

    def spawn(self, argv: Sequence[str], log: Optional[Path | str] = None,
              env: Optional[dict] = None) -> Process:
        """Starts argv in this namespace with stdout+stderr to `log`; the lab
        stops it at teardown."""
        log_path = Path(log) if log else self.lab.path(f"{Path(argv[0]).name}-{self.lab.seq()}.log")
        with open(log_path, "ab") as out:
            popen = subprocess.Popen(self.exec_argv(argv), stdin=subprocess.DEVNULL, stdout=out,
                                     stderr=subprocess.STDOUT, env=env, start_new_session=True)
        process = Process(popen, argv, log_path, self.name)
        self.lab._processes.append(process)
        return process

    def link_exists(self, ifname: str) -> bool:
        return self.ip("link", "show", "dev", ifname, check=False).returncode == 0

    def addresses(self, ifname: str) -> list:
        """IPv4 addresses on ifname as "a.b.c.d/len" strings."""
        out = self.ip("-j", "-4", "addr", "show", "dev", ifname).stdout
        data = json.loads(out or "[]")
        return [f"{a['local']}/{a['prefixlen']}" for link in data for a in link.get("addr_info", [])]

    def link(self, ifname: str) -> dict:
        return json.loads(self.ip("-j", "-d", "link", "show", "dev", ifname).stdout)[0]


class HostNamespace(Namespace):
    """Where the server and its bridge live."""

    def create_bridge(self, name: str = DEFAULT_BRIDGE, address: str = DEFAULT_ADDRESS,
                      mtu: Optional[int] = None):
        check_lab_address(address)
        self.ip("link", "add", name, "type", "bridge")
        if mtu:
            self.ip("link", "set", name, "mtu", str(mtu))
        self.ip("addr", "add", address, "dev", name)
        self.ip("link", "set", name, "up")


class ClientNamespace(Namespace):
    """A namespace with one veth (`eth0`) whose peer sits in the host namespace."""

    def __init__(self, lab: "Lab", name: str, short: str, ifname: str, mac: str, host_ifname: str):
        super().__init__(lab, name)
        self.short = short
        self.ifname = ifname
        self.mac = mac
        self.host_ifname = host_ifname
        self.bridge: Optional[str] = None

    def __repr__(self):
        return f"<ClientNamespace {self.name} {self.ifname} {self.mac}>"
