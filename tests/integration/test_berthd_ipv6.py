#!/usr/bin/python3
"""IPv6 on a bridge (issue 12): router advertisements, SLAAC, RDNSS/DNSSL,
DHCPv6 (dhclient -6 and dhcpcd), names from the Client FQDN option, DNS over
IPv6, NAT66, and malformed RSs and DHCPv6 messages, with real clients in
namespaces.

Every address is in fd00::/8 (and 198.18.0.0/15 for IPv4): the bridge is
fd00:6:0:1::1/64, the "outside" network fd00:99::/64.
"""

import ipaddress
import json
import os
import re
import shutil
import struct
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


def metrics_text(server) -> str:
    client = netlab.ControlClient(server.socket_path)
    try:
        text = client.request("GET", "/metrics")[1]
    finally:
        client.close()
    if isinstance(text, (bytes, bytearray)):
        text = text.decode()
    return str(text)


def metric_lines(server, name: str, **labels) -> list:
    """(line, value) of each sample of counter `name` with these labels."""
    out = []
    for line in metrics_text(server).splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            out.append((line, float(line.rsplit(" ", 1)[1])))
    return out


def metric(server, name: str, **labels) -> float:
    """A counter of /metrics (0 when absent)."""
    return sum(v for _, v in metric_lines(server, name, **labels))


def metric_by(server, name: str, label: str, **labels) -> dict:
    """A counter of /metrics by the value of one label: {value: count}."""
    out = {}
    for line, value in metric_lines(server, name, **labels):
        m = re.search(rf'\b{label}="([^"]*)"', line)
        if m:
            out[m.group(1)] = out.get(m.group(1), 0) + int(value)
    return out


def delta(after: dict, before: dict) -> dict:
    return {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}


def wait_for_counts(read, before: dict, expected: dict, what: str) -> dict:
    """Waits (bounded) until the counters moved by `expected`, then a moment
    more, so that a count over the expected shows too; returns the deltas."""
    def arrived():
        moved = delta(read(), before)
        return all(moved.get(k, 0) >= v for k, v in expected.items())

    try:
        wait_until(arrived, 10, what)
    except netlab.LabError:
        pass  # the assertion below shows what did arrive
    time.sleep(0.3)
    return delta(read(), before)


def dhclient6(lab, ns, name: str, conf: str = "", script: str = "/bin/true") -> str:
    """One run of dhclient -6 (-1: gives up after its timeout) with its own
    config, lease and pid files; returns the lease file's text."""
    cf = lab.path(f"{name}.conf")
    cf.write_text(conf + "\ntimeout 20;\n")
    lease = lab.path(f"{name}.leases6")
    ns.run([netlab.DHCLIENT, "-6", "-1", "-v", "-cf", str(cf),
            "-lf", str(lease), "-pf", str(lab.path(f"{name}.pid")), "-sf", script, "eth0"],
           timeout=40)
    return lease.read_text()


def leased_address(test, text: str) -> ipaddress.IPv6Address:
    """The IA_NA address in a dhclient -6 lease file's text (fails the test
    when there is none)."""
    m = re.search(r"iaaddr ([0-9a-f:]+) \{", text)
    test.assertIsNotNone(m, text)
    return ipaddress.IPv6Address(m.group(1))


def wait_onlink_route(ns):
    wait_until(lambda: PREFIX + "/64" in ns.ip("-6", "route", "show", "dev", "eth0").stdout,
               20, "the RA's on-link route")


def address_script(lab, name: str) -> str:
    """A dhclient script that puts the address on eth0 as dhclient-script
    would (a /128: the RA's on-link prefix gives the route to the bridge),
    so the client can query DNS at the bridge's IPv6 address."""
    script = lab.path(f"{name}.sh")
    script.write_text("#!/bin/sh\n"
                      'case "$reason" in BOUND6|RENEW6|REBIND6|REBOOT6)\n'
                      f'  {netlab.IP} -6 addr replace "$new_ip6_address/128" '
                      'dev "$interface" nodad ;;\nesac\n')
    script.chmod(0o755)
    return str(script)


def host_state() -> dict:
    """What a client let loose would change outside its lab: the machine's
    resolv.conf and dhcpcd's own directories."""
    state = {}
    for path in ("/etc/resolv.conf", "/var/lib/dhcpcd", "/run/dhcpcd"):
        try:
            st = os.stat(path)
            state[path] = (st.st_mtime_ns, st.st_size,
                           sorted(os.listdir(path)) if os.path.isdir(path) else None)
        except FileNotFoundError:
            state[path] = None
    return state


def root_addresses6() -> list:
    out = json.loads(netlab.run([netlab.IP, "-j", "-6", "addr", "show"]).stdout or "[]")
    return [a["local"] for link in out for a in link.get("addr_info", []) if "local" in a]


# Raw frames, built byte by byte so that what is malformed is exactly what
# the test says (lengths and checksums of the envelopes are right), and sent
# with scapy by rawframes.py from the client's namespace.

ALL_ROUTERS = ipaddress.IPv6Address("ff02::2")
ALL_DHCP_SERVERS = ipaddress.IPv6Address("ff02::1:2")
UNSPECIFIED = ipaddress.IPv6Address("::")


def link_local(mac: str) -> ipaddress.IPv6Address:
    """The EUI-64 link-local address the kernel gives an interface with `mac`."""
    b = bytearray(bytes.fromhex(mac.replace(":", "")))
    b[0] ^= 0x02
    return ipaddress.IPv6Address(b"\xfe\x80" + bytes(6) + bytes(b[:3]) + b"\xff\xfe" + bytes(b[3:]))


def internet_checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def pseudo_header(src, dst, length: int, next_header: int) -> bytes:
    return src.packed + dst.packed + struct.pack("!I3xB", length, next_header)


def ipv6_frame(mac: str, src, dst, next_header: int, payload: bytes, hop_limit: int = 255) -> bytes:
    """Ethernet + IPv6 to a multicast group `dst` from `mac`."""
    eth = b"\x33\x33" + dst.packed[-4:] + bytes.fromhex(mac.replace(":", "")) + b"\x86\xdd"
    ip6 = struct.pack("!IHBB", 6 << 28, len(payload), next_header, hop_limit)
    return eth + ip6 + src.packed + dst.packed + payload


def icmpv6_frame(mac: str, src, message: bytes, hop_limit: int = 255, dst=ALL_ROUTERS) -> bytes:
    """An ICMPv6 message in a frame, its checksum filled in (when it has
    room for one)."""
    message = message[:2] + b"\0\0" + message[4:]
    if len(message) >= 4:
        csum = internet_checksum(pseudo_header(src, dst, len(message), 58) + message)
        message = message[:2] + struct.pack("!H", csum) + message[4:]
    return ipv6_frame(mac, src, dst, 58, message, hop_limit)


def router_solicitation(options: bytes = b"", code: int = 0) -> bytes:
    return bytes([133, code]) + bytes(6) + options


def slla(mac: str) -> bytes:
    return bytes([1, 1]) + bytes.fromhex(mac.replace(":", ""))


def udp6_frame(mac: str, src, payload: bytes, sport: int = 546, dport: int = 547,
               dst=ALL_DHCP_SERVERS) -> bytes:
    length = 8 + len(payload)
    udp = struct.pack("!HHHH", sport, dport, length, 0) + payload
    csum = internet_checksum(pseudo_header(src, dst, length, 17) + udp) or 0xFFFF
    return ipv6_frame(mac, src, dst, 17, udp[:6] + struct.pack("!H", csum) + udp[8:])


def dhcp6_option(code: int, value: bytes, length=None) -> bytes:
    return struct.pack("!HH", code, len(value) if length is None else length) + value


def dhcp6_message(kind: int, xid: int, options: bytes) -> bytes:
    return bytes([kind]) + xid.to_bytes(3, "big") + options


def duid_ll(mac: str) -> bytes:
    return b"\x00\x03\x00\x01" + bytes.fromhex(mac.replace(":", ""))


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
            ip = leased_address(self, dhclient6(lab, c, "stateful"))
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


class PortForwards6(unittest.TestCase):
    def test_forward_to_a_name_reaches_its_ipv6_address_from_outside(self):
        """A forward to a name follows the name's IPv6 address too: a
        connection to the host's IPv6 address from an upstream namespace,
        which has no route to the bridge prefix, reaches the container."""
        with Lab() as lab:
            c = lab.client("fwd6")
            outside = lab.peer("out6f", "fd00:99::1/64", "fd00:99::2/64")
            server = start_berthd(lab, bridges=[ipv6_bridge("slaac")])
            slaac_address(c)
            # A container with a static address, named by its reservation.
            target = PREFIX + "50"
            c.ip("-6", "addr", "add", target + "/64", "dev", "eth0", "nodad")
            server.ctl("reservation", "add", "-b", "br0", "--mac", c.mac, "--ip", "198.18.0.50",
                       "--ipv6", target, "-n", "web6")
            server.ctl("forward", "add", "--bridge", "br0", "tcp", "8080", "web6:80")
            rows = server.ctl("forward", "list", json_out=True)["forwards"]
            self.assertEqual([(r["target"], r.get("target6")) for r in rows],
                             [("198.18.0.50", target)])
            c.spawn(["/usr/bin/python3", "-c",
                     "import socket\n"
                     "s = socket.socket(socket.AF_INET6)\n"
                     "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
                     "s.bind(('::', 80)); s.listen(1); s.settimeout(20)\n"
                     "conn, peer = s.accept()\n"
                     "conn.sendall(('hello ' + peer[0]).encode()); conn.close()\n"])
            # (the lab stops the listener at teardown)
            connect = ("import socket, time\n"
                       "for _ in range(40):\n"
                       "    try:\n"
                       "        s = socket.create_connection(('fd00:99::1', 8080), 1)\n"
                       "        print(s.recv(100).decode()); break\n"
                       "    except OSError:\n"
                       "        time.sleep(0.25)\n")
            out = outside.run(["/usr/bin/python3", "-c", connect], timeout=20).stdout.strip()
            # The container sees the outside's own address (DNAT, no SNAT).
            self.assertEqual(out, "hello fd00:99::2")


class Dhcpcd6(unittest.TestCase):
    """dhcpcd 9 as the DHCPv6 client. It runs confined (netlab.Dhcpcd6): its
    own config and hook script, its run and database directories bound over
    /run and /var/lib/dhcpcd in its own mount namespace, in the client's
    network namespace; each test checks that nothing outside moved."""

    def setUp(self):
        if not shutil.which(netlab.DHCPCD):
            self.skipTest(f"{netlab.DHCPCD} is not installed")
        self.before = host_state()
        self.addCleanup(self.assert_host_untouched)

    def assert_host_untouched(self):
        self.assertEqual(host_state(), self.before, "dhcpcd changed files outside its lab")
        self.assertFalse([a for a in root_addresses6() if ipaddress.IPv6Address(a) in NETWORK])

    def test_stateful_dhcpcd_gets_a_pool_address_that_berthctl_lists(self):
        with Lab() as lab:
            c = lab.client("dhcpcd6")
            server = start_berthd(lab, bridges=[ipv6_bridge(
                "stateful", f'ipv6_pool = "{PREFIX}1:0-{PREFIX}1:ff"\n')])
            client = netlab.Dhcpcd6(c, hostname="db")
            lease = client.acquire()
            self.assertEqual(lease.event, "BOUND6")
            self.assertEqual(len(lease.addresses), 1, lease.env)
            ip = ipaddress.IPv6Address(lease.addresses[0])
            self.assertTrue(ipaddress.IPv6Address(PREFIX + "1:0") <= ip
                            <= ipaddress.IPv6Address(PREFIX + "1:ff"), ip)
            self.assertEqual(lease.dns, [BRIDGE6])
            # dhcpcd put the address on the client's eth0, in its namespace.
            self.assertIn(str(ip), [a for a, _ in addresses6(c, "global")])
            rows = server.ctl("leases", json_out=True)
            rows = rows.get("leases", rows) if isinstance(rows, dict) else rows
            row = next((r for r in rows if r["ip"] == str(ip)), None)
            self.assertIsNotNone(row, rows)
            self.assertEqual(row.get("hostname"), "db", row)
            # Its state stays in the client's own directories.
            self.assertTrue(client.lease_file().is_file())
            self.assertEqual(client.dump().get("dhcp6_ia_na1_ia_addr1"), str(ip))
            client.stop()

    def test_stateless_dhcpcd_gets_dns_server_and_search_list(self):
        with Lab() as lab:
            c = lab.client("dhcpcd6s")
            server = start_berthd(lab, bridges=[ipv6_bridge("stateless")])
            client = netlab.Dhcpcd6(c)
            lease = client.acquire()
            self.assertEqual(lease.event, "INFORM6")
            self.assertEqual(lease.addresses, [])
            self.assertEqual(lease.dns, [BRIDGE6])
            self.assertEqual(lease.domains, ["lab"])
            dump = client.dump()
            self.assertEqual(dump.get("dhcp6_name_servers"), BRIDGE6, dump)
            self.assertEqual(dump.get("dhcp6_domain_search"), "lab", dump)
            # The address is SLAAC's (the RA's A flag), not DHCPv6's.
            self.assertIn(ipaddress.IPv6Address(slaac_address(c)), NETWORK)
            self.assertGreaterEqual(metric(server, "berth_dhcp6_received_total",
                                           type="INFORMATION-REQUEST"), 1)
            client.stop()


class Ipv6Reservations(unittest.TestCase):
    def test_berthctl_reservation_with_ipv6_is_served_by_dhcpv6_and_answers_aaaa(self):
        with Lab() as lab:
            c = lab.client("resv6")
            server = start_berthd(lab, bridges=[ipv6_bridge(
                "stateful", f'ipv6_pool = "{PREFIX}1:0-{PREFIX}1:ff"\n')])
            wait_link_local_ready(c)
            # By MAC, added at run time: dhclient's DUID-LLT carries the MAC.
            server.ctl("reservation", "add", "-b", "br0", "--mac", c.mac, "--ip", "198.18.0.50",
                       "--ipv6", PREFIX + "50", "-n", "web6")
            rows = server.ctl("reservation", "list", json_out=True)["reservations"]
            self.assertEqual([r.get("ipv6") for r in rows], [PREFIX + "50"])
            text = dhclient6(lab, c, "resv6", script=address_script(lab, "resv6"))
            self.assertEqual(leased_address(self, text), ipaddress.IPv6Address(PREFIX + "50"))
            # The name answers AAAA before and after, and PTR for the address.
            wait_onlink_route(c)
            aaaa = c.run([DIG, "+short", "+time=2", "+tries=2", "AAAA", "web6.lab", f"@{BRIDGE6}"],
                         timeout=15).stdout.split()
            self.assertEqual(aaaa, [PREFIX + "50"])
            ptr = c.run([DIG, "+short", "+time=2", "+tries=2", "-x", PREFIX + "50", f"@{BRIDGE6}"],
                        timeout=15).stdout.split()
            self.assertEqual(ptr, ["web6.lab."])
            # A taken or foreign address is refused and changes nothing.
            bad = server.ctl("reservation", "add", "-b", "br0", "--mac", "02:00:00:00:00:99",
                             "--ip", "198.18.0.51", "--ipv6", "fd00:7::51", check=False)
            self.assertNotEqual(bad.returncode, 0)
            self.assertIn("fd00:7::51", bad.stderr + bad.stdout)
            rows = server.ctl("reservation", "list", json_out=True)["reservations"]
            self.assertEqual(len(rows), 1)
            # Moving it at run time: the name follows, no restart.
            server.ctl("reservation", "set", str(rows[0]["id"]), "--ipv6", PREFIX + "60")
            wait_until(lambda: c.run([DIG, "+short", "+time=2", "+tries=1", "AAAA", "web6.lab",
                                      f"@{BRIDGE6}"], timeout=10).stdout.split()
                       == [PREFIX + "60"], 10, "web6.lab to answer the new address")


class Dhcpv6Names(unittest.TestCase):
    def test_a_client_fqdn_name_answers_aaaa_and_its_address_ptr(self):
        with Lab() as lab:
            c = lab.client("fqdn")
            start_berthd(lab, bridges=[ipv6_bridge(
                "stateful", f'ipv6_pool = "{PREFIX}1:0-{PREFIX}1:ff"\n')])
            wait_link_local_ready(c)
            # The address on eth0 as dhclient-script would put it (a /128:
            # the RA's on-link prefix gives the route to the bridge).
            text = dhclient6(lab, c, "fqdn", conf='send fqdn.fqdn "web";',
                             script=address_script(lab, "fqdn"))
            ip = str(leased_address(self, text))
            wait_onlink_route(c)
            aaaa = c.run([DIG, "+short", "+time=2", "+tries=2", "AAAA", "web.lab", f"@{BRIDGE6}"],
                         timeout=15).stdout.split()
            self.assertEqual(aaaa, [ip])
            ptr = c.run([DIG, "+short", "+time=2", "+tries=2", "-x", ip, f"@{BRIDGE6}"],
                        timeout=15).stdout.split()
            self.assertEqual(ptr, ["web.lab."])


class MalformedIpv6(unittest.TestCase):
    """What berthd must drop and count, sent from a namespace on the bridge.
    The RA server reads RSs on a raw ICMPv6 socket that lets only type 133
    through: the kernel hands it RSs whatever their hop limit (only the
    kernel's own NDP code checks that), so berthd sees one that crossed a
    router and drops it itself; it sees even a message of 2 octets, which
    has no room for a checksum. The DHCPv6 server reads UDP port 547."""

    def test_malformed_router_solicitations_are_counted_and_a_good_one_answered(self):
        with Lab() as lab:
            raw = lab.client("rsraw")
            server = start_berthd(lab, bridges=[ipv6_bridge("slaac")])
            wait_link_local_ready(raw)
            src = link_local(raw.mac)

            def read():
                return metric_by(server, "berth_ra_dropped_total", "reason", bridge="br0")

            before = read()
            solicitations = metric(server, "berth_ra_solicitations_total", bridge="br0")
            frames = [
                # A good RS but for its hop limit: it crossed a router.
                icmpv6_frame(raw.mac, src, router_solicitation(slla(raw.mac)), hop_limit=64),
                # A source link-layer address option of length 0.
                icmpv6_frame(raw.mac, src, router_solicitation(b"\x01\x00" + bytes(6))),
                # One that says 16 octets where 8 are left.
                icmpv6_frame(raw.mac, src, router_solicitation(b"\x01\x02" + bytes(6))),
                # Type, code and checksum only: no Reserved field; then type
                # and code alone.
                icmpv6_frame(raw.mac, src, router_solicitation()[:4]),
                icmpv6_frame(raw.mac, src, router_solicitation()[:2]),
                icmpv6_frame(raw.mac, src, router_solicitation(code=1)),
                # From :: with a link-layer address (RFC 4861 §6.1.1).
                icmpv6_frame(raw.mac, UNSPECIFIED, router_solicitation(slla(raw.mac))),
            ]
            netlab.send_raw_frames(raw, "eth0", frames)
            # One drop each, by the reason of protocol/ndp.hpp's Invalid.
            expected = {"hop_limit": 1, "option_length_zero": 1, "option_past_end": 1,
                        "truncated": 2, "code": 1, "slla_from_unspecified": 1}
            got = wait_for_counts(read, before, expected, "berthd to count the dropped RSs")
            self.assertEqual(got, expected)
            self.assertTrue(server.process.alive())
            # A well-formed RS is still answered.
            ra = raw.run([RDISC6, "-1", "-r", "3", "-w", "3000", "eth0"], timeout=20).stdout
            self.assertRegex(ra, rf"Prefix\s*:\s*{re.escape(PREFIX)}/64")
            self.assertGreater(metric(server, "berth_ra_solicitations_total", bridge="br0"),
                               solicitations)

    def test_unicast_information_request_is_dropped_and_counted_multicast_answered(self):
        """RFC 8415 §18.4: SOLICIT, CONFIRM, REBIND and INFORMATION-REQUEST
        that reach the server by unicast are discarded."""
        with Lab() as lab:
            c = lab.client("uni6")
            server = start_berthd(lab, bridges=[ipv6_bridge("stateless")])
            slaac_address(c)
            duid = duid_ll(c.mac)
            request = dhcp6_message(11, 0x0D0E0F, dhcp6_option(1, duid) + dhcp6_option(8, b"\0\0"))
            probe = ("import socket, sys\n"
                     "s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)\n"
                     "s.bind(('::', 546))\n"
                     "s.settimeout(2)\n"
                     "s.sendto(bytes.fromhex(sys.argv[1]), (sys.argv[2], 547, 0, "
                     "socket.if_nametoindex('eth0')))\n"
                     "try:\n"
                     "    data, _ = s.recvfrom(2048)\n"
                     "    print('reply', data[0])\n"
                     "except socket.timeout:\n"
                     "    print('none')\n")

            def read():
                return metric_by(server, "berth_dhcp6_dropped_total", "reason")

            before = read()
            out = c.run(["/usr/bin/python3", "-c", probe, request.hex(), BRIDGE6],
                        timeout=10).stdout.split()
            self.assertEqual(out, ["none"])
            got = wait_for_counts(read, before, {"unicast": 1}, "berthd to count the unicast")
            self.assertEqual(got, {"unicast": 1})
            out = c.run(["/usr/bin/python3", "-c", probe, request.hex(), "ff02::1:2"],
                        timeout=10).stdout.split()
            self.assertEqual(out, ["reply", "7"])  # REPLY

    def test_malformed_dhcpv6_messages_are_counted_and_the_next_client_served(self):
        with Lab() as lab:
            raw = lab.client("d6raw")
            server = start_berthd(lab, bridges=[ipv6_bridge(
                "stateful", f'ipv6_pool = "{PREFIX}1:0-{PREFIX}1:ff"\n')])
            wait_link_local_ready(raw)
            src = link_local(raw.mac)
            client_id = dhcp6_option(1, duid_ll(raw.mac))
            elapsed = dhcp6_option(8, b"\0\0")
            ia_na = dhcp6_option(3, struct.pack("!III", 1, 0, 0))
            solicit = dhcp6_message(1, 0x0A0B0C, client_id + elapsed + ia_na)
            server_id = dhcp6_option(2, duid_ll("02:00:00:00:00:99"))

            def read():
                return metric_by(server, "berth_dhcp6_dropped_total", "reason")

            before = read()
            advertise_before = metric(server, "berth_dhcp6_received_total", type="ADVERTISE")
            payloads = [
                (solicit[:2], 546),                                          # header cut short
                (solicit + dhcp6_option(16, b"\0" * 4, length=40), 546),     # option past the end
                (dhcp6_message(1, 1, client_id + dhcp6_option(8, b"\0")), 546),  # elapsed-time of 1
                (dhcp6_message(200, 2, client_id), 546),                     # no such type
                (dhcp6_message(1, 3, elapsed + ia_na), 546),                 # no Client Identifier
                (dhcp6_message(2, 4, client_id + server_id + ia_na), 546),   # ADVERTISE, a server's
                (bytes([12, 0]) + src.packed + src.packed                    # RELAY-FORW
                 + dhcp6_option(9, solicit), 547),
            ]
            frames = [udp6_frame(raw.mac, src, p, sport=port) for p, port in payloads]
            netlab.send_raw_frames(raw, "eth0", frames)
            # Unparsable (parse_<Errc>) and relayed: Dhcp6Server's count;
            # the rest: the engine's (dhcp/dhcp6_service.cpp check_identifiers).
            expected = {"parse_truncated": 2, "parse_malformed": 1, "parse_unsupported": 1,
                        "no_client_id": 1, "not_for_server": 1, "relayed": 1}
            got = wait_for_counts(read, before, expected, "berthd to count the dropped messages")
            self.assertEqual(got, expected)
            self.assertEqual(metric(server, "berth_dhcp6_received_total", type="ADVERTISE"),
                             advertise_before + 1)
            self.assertEqual(metric(server, "berth_dhcp6_sent_total"), 0)
            self.assertEqual(server.leases(), [])
            self.assertTrue(server.process.alive())
            # The next real client is served as usual.
            good = lab.client("d6next")
            wait_link_local_ready(good)
            self.assertIn(leased_address(self, dhclient6(lab, good, "next")), NETWORK)


if __name__ == "__main__":
    unittest.main(verbosity=2)
