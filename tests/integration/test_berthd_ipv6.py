#!/usr/bin/python3
"""IPv6 on a bridge (issue 12): router advertisements, SLAAC, RDNSS/DNSSL,
DHCPv6, DNS over IPv6 and NAT66, with real clients in namespaces.

Every address is in fd00::/8 (and 198.18.0.0/15 for IPv4): the bridge is
fd00:6:0:1::1/64, the "outside" network fd00:99::/64.
"""

import ipaddress
import json
import re
import shutil
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import netlab  # noqa: E402
from netlab import BridgeConfig, Lab, start_berthd, wait_until  # noqa: E402

RDISC6 = shutil.which("rdisc6") or "/usr/bin/rdisc6"
DIG = shutil.which("dig") or "/usr/bin/dig"
PREFIX = "fd00:6:0:1::"
NETWORK = ipaddress.IPv6Network(PREFIX + "/64")
BRIDGE6 = PREFIX + "1"


def setUpModule():
    netlab.require_root()
    if netlab.berthd_path() is None:
        raise unittest.SkipTest("no berthd binary ($BERTHD)")
    for tool in (RDISC6, DIG, netlab.DHCLIENT):
        if not shutil.which(tool):
            raise unittest.SkipTest(f"{tool} is not installed")


def ipv6_bridge(mode: str, extra: str = "") -> BridgeConfig:
    return BridgeConfig(extra=f'ipv6 = "{BRIDGE6}/64"\nipv6_mode = "{mode}"\n'
                              f'ra_interval = 10\n{extra}')


def addresses6(ns, scope: str) -> list:
    """(address, flags) of eth0's IPv6 addresses of a scope ("global", "link")."""
    out = json.loads(ns.ip("-j", "-6", "addr", "show", "dev", "eth0", "scope", scope).stdout)
    found = []
    for link in out:
        for a in link.get("addr_info", []):
            if "local" in a:
                found.append((a["local"], a))
    return found


def wait_link_local_ready(ns):
    """dhclient -6 binds the link-local address: wait until DAD is done."""
    wait_until(lambda: any(not a.get("tentative") for _, a in addresses6(ns, "link")), 10,
               f"{ns} to have a usable link-local address")


def slaac_address(ns) -> str:
    return wait_until(
        lambda: next((ip for ip, a in addresses6(ns, "global")
                      if ipaddress.IPv6Address(ip) in NETWORK and not a.get("tentative")),
                     None),
        20, f"{ns} to configure a SLAAC address in {PREFIX}/64")


def metric(server, name: str, **labels) -> float:
    """A counter of /metrics (0 when absent)."""
    client = netlab.ControlClient(server.socket_path)
    try:
        text = client.request("GET", "/metrics")[1]
    finally:
        client.close()
    if isinstance(text, (bytes, bytearray)):
        text = text.decode()
    total = 0.0
    for line in str(text).splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


class RouterAdvertisements(unittest.TestCase):
    def test_slaac_client_gets_address_default_route_and_rdnss(self):
        with Lab() as lab:
            c = lab.client("slaac")
            server = start_berthd(lab, bridges=[ipv6_bridge("slaac")])
            ip = slaac_address(c)
            self.assertIn(ipaddress.IPv6Address(ip), NETWORK)
            routes = json.loads(c.ip("-j", "-6", "route", "show", "default").stdout)
            self.assertTrue(any(r.get("gateway", "").startswith("fe80:") and r.get("dev") == "eth0"
                                for r in routes), routes)
            ra = c.run([RDISC6, "-1", "-r", "3", "-w", "3000", "eth0"], timeout=20).stdout
            self.assertRegex(ra, rf"Prefix\s*:\s*{re.escape(PREFIX)}/64")
            self.assertRegex(ra, rf"Recursive DNS server\s*:\s*{re.escape(BRIDGE6)}")
            self.assertRegex(ra, r"DNS search list\s*:\s*lab\b")
            self.assertRegex(ra, r"Stateful address conf\.\s*:\s*No")
            self.assertGreaterEqual(metric(server, "berth_ra_solicitations_total", bridge="br0"), 1)

    def test_dns_answers_over_ipv6_with_aaaa_and_ip6_arpa(self):
        with Lab() as lab:
            c = lab.client("dns6")
            start_berthd(lab, bridges=[ipv6_bridge("slaac")])
            slaac_address(c)
            aaaa = c.run([DIG, "+short", "+time=2", "+tries=2", "AAAA", "_gateway.lab",
                          f"@{BRIDGE6}"], timeout=15).stdout.split()
            self.assertEqual(aaaa, [BRIDGE6])
            ptr = c.run([DIG, "+short", "+time=2", "+tries=2", "-x", BRIDGE6, f"@{BRIDGE6}"],
                        timeout=15).stdout.split()
            self.assertTrue(ptr and ptr[0].endswith(".lab."), ptr)


class Dhcpv6(unittest.TestCase):
    def test_stateless_client_gets_dns_server_and_search_list(self):
        with Lab() as lab:
            c = lab.client("stateless")
            start_berthd(lab, bridges=[ipv6_bridge("stateless")])
            slaac_address(c)
            wait_link_local_ready(c)
            # Stateless dhclient keeps no lease: what it got reaches its script.
            env = lab.path("stateless.env")
            script = lab.path("stateless.sh")
            script.write_text(f"#!/bin/sh\nenv >> {env}\n")
            script.chmod(0o755)
            c.run([netlab.DHCLIENT, "-6", "-S", "-1", "-v", "-lf", str(lab.path("stateless.leases6")),
                   "-pf", str(lab.path("stateless.pid")), "-sf", str(script), "eth0"], timeout=30)
            text = env.read_text()
            self.assertIn(f"new_dhcp6_name_servers={BRIDGE6}", text)
            self.assertIn("new_dhcp6_domain_search=lab.", text)


    def test_stateful_client_gets_a_pool_address_stored_before_the_reply(self):
        with Lab() as lab:
            c = lab.client("stateful")
            server = start_berthd(lab, bridges=[ipv6_bridge(
                "stateful", f'ipv6_pool = "{PREFIX}1:0-{PREFIX}1:ff"\n')])
            wait_link_local_ready(c)
            lease = lab.path("stateful.leases6")
            c.run([netlab.DHCLIENT, "-6", "-1", "-v", "-lf", str(lease),
                   "-pf", str(lab.path("stateful.pid")), "-sf", "/bin/true", "eth0"], timeout=40)
            m = re.search(r"iaaddr ([0-9a-f:]+) \{", lease.read_text())
            self.assertIsNotNone(m, lease.read_text())
            ip = ipaddress.IPv6Address(m.group(1))
            self.assertTrue(ipaddress.IPv6Address(PREFIX + "1:0") <= ip
                            <= ipaddress.IPv6Address(PREFIX + "1:ff"), ip)
            rows = server.ctl("leases", json_out=True)
            rows = rows.get("leases", rows) if isinstance(rows, dict) else rows
            self.assertIn(str(ip), [r["ip"] for r in rows])


class Nat66(unittest.TestCase):
    def test_client_reaches_the_outside_through_nat66(self):
        with Lab() as lab:
            c = lab.client("nat66")
            outside = lab.peer("out6", "fd00:99::1/64", "fd00:99::2/64")
            start_berthd(lab, bridges=[ipv6_bridge("slaac", "ipv6_nat = true\n")])
            slaac_address(c)
            # The outside network has no route back to the bridge prefix: only
            # the masquerade lets the reply come back.
            self.assertNotIn(PREFIX.rstrip(":"), outside.ip("-6", "route").stdout)
            wait_until(lambda: c.run(["ping", "-6", "-c", "1", "-W", "1", "fd00:99::2"],
                                     check=False, timeout=5).returncode == 0,
                       15, "the client to ping fd00:99::2 through NAT66")


if __name__ == "__main__":
    unittest.main(verbosity=2)
