"""dnsmasq in the lab, DHCP only: the reference the harness is proven
against and berth is compared with."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Sequence

from .core import DNSMASQ
from .lab import Lab
from .leasefiles import read_dnsmasq_leases
from .servers import BridgeConfig, Server


class Dnsmasq(Server):
    kind = "dnsmasq"

    def __init__(self, lab, process, bridges, workdir, lease_file: Path):
        super().__init__(lab, process, bridges, workdir)
        self.lease_file = lease_file

    def leases(self) -> list:
        return read_dnsmasq_leases(self.lease_file)


def start_dnsmasq(lab: Lab, bridge: BridgeConfig = BridgeConfig(), *, create_bridge: bool = True,
                  no_ping: bool = True, log_dhcp: bool = True, lease_max: int = 1000,
                  extra_args: Sequence[str] = (), ready_timeout: float = 10.0) -> Dnsmasq:
    """Runs dnsmasq (DHCP only, no DNS) on one bridge in the host namespace,
    creating the bridge first unless told not to. It hands out the bridge
    address as router and DNS server and bridge.domain as domain."""
    bridge.validate()
    host = lab.host()
    if create_bridge and not host.link_exists(bridge.name):
        host.create_bridge(bridge.name, bridge.address)
    workdir = lab.subdir(f"dnsmasq-{lab.seq()}")
    lease_file = workdir / "dnsmasq.leases"
    iface = ipaddress.IPv4Interface(bridge.address)
    argv = [DNSMASQ, "--keep-in-foreground", "--conf-file=/dev/null", "--log-facility=-",
            "--port=0", "--no-resolv", "--no-hosts", "--user=root", "--group=root",
            f"--pid-file={workdir / 'dnsmasq.pid'}", f"--interface={bridge.name}",
            "--bind-dynamic", "--except-interface=lo", "--dhcp-authoritative",
            f"--dhcp-leasefile={lease_file}", f"--dhcp-lease-max={lease_max}",
            f"--dhcp-range={bridge.pool[0]},{bridge.pool[1]},{iface.netmask},{bridge.lease_time}",
            f"--dhcp-option=option:router,{iface.ip}",
            f"--dhcp-option=option:dns-server,{iface.ip}",
            f"--domain={bridge.domain}"]
    if no_ping:
        argv.append("--no-ping")
    if log_dhcp:
        argv.append("--log-dhcp")
    argv += list(extra_args)
    process = host.spawn(argv, log=workdir / "dnsmasq.log")
    process.wait_for_log(r"DHCP, IP range", ready_timeout, "dnsmasq to start its DHCP service")
    lab.attach_all(bridge.name)
    return Dnsmasq(lab, process, [bridge], workdir, lease_file)
