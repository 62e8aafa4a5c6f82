"""What the DHCP servers under test have in common: a bridge's settings and
the running server on it. berthd.py and dnsmasq.py start them."""

from __future__ import annotations

import dataclasses
import ipaddress
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Sequence

from .core import DEFAULT_ADDRESS, DEFAULT_BRIDGE, DEFAULT_POOL, check_lab_address
from .process import Process

if TYPE_CHECKING:
    from .lab import Lab


@dataclasses.dataclass
class BridgeConfig:
    name: str = DEFAULT_BRIDGE
    address: str = DEFAULT_ADDRESS
    pool: tuple = DEFAULT_POOL
    lease_time: int = 600
    domain: str = "lab"
    extra: str = ""  # raw TOML lines appended inside this [[bridge]] table

    def validate(self):
        check_lab_address(self.address)
        for a in self.pool:
            check_lab_address(a)



class Server:
    kind = "server"

    def __init__(self, lab: Lab, process: Process, bridges: Sequence[BridgeConfig], workdir: Path):
        self.lab = lab
        self.process = process
        self.bridges = list(bridges)
        self.workdir = workdir

    @property
    def bridge(self) -> BridgeConfig:
        return self.bridges[0]

    @property
    def address(self) -> str:
        return self.bridge.address.split("/")[0]

    def in_pool(self, ip: str, bridge: Optional[BridgeConfig] = None) -> bool:
        lo, hi = (ipaddress.IPv4Address(a) for a in (bridge or self.bridge).pool)
        return lo <= ipaddress.IPv4Address(ip) <= hi

    def stop(self, timeout: float = 5.0) -> int:
        return self.process.terminate(timeout)

    def leases(self) -> list:
        raise NotImplementedError
