#!/usr/bin/python3
"""The bridge companion (issue 6): berthd wires bridges, NAT, port forwards
and isolation itself, in the lab's host namespace. An "uplink" namespace
(routed to the host, with no route back to the bridges) stands for the
internet.

- a container on a NAT bridge reaches a TCP/UDP server in the uplink
  namespace, which sees the host's uplink address (or nat_address) as the
  source; IPv4 forwarding is turned on and logged;
- a port forward from the host's uplink address reaches a server inside the
  container; a forward by name follows the container when its lease moves;
  forwards added and removed with berthctl; hairpin from the same bridge;
- containers on two berth bridges cannot reach each other unless allowed;
- `nft flush ruleset` (or the table deleted): the table is back within 5 s
  and traffic flows again;
- the bridge deleted under a running berthd: recreated with its address and
  MAC within 2 s, and clients get leases and DNS answers on it again;
- `berthctl attach`/`detach` against namespaces made by the test;
- on SIGTERM the table inet berth is removed, unless keep_rules = true.

nft only ever runs inside the lab's host namespace.
"""

import json
import re
import shutil
import sys
import time
import unittest
from pathlib import Path
from typing import Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))

import netlab  # noqa: E402
from netlab import BridgeConfig, Lab, start_berthd, wait_until  # noqa: E402

PYTHON = netlab.PYTHON
NFT = shutil.which("nft") or "/usr/sbin/nft"
DIG = shutil.which("dig") or "/usr/bin/dig"

BRIDGE_ADDRESS = "198.18.0.1"
UPLINK_HOST = "198.18.200.1"  # the host's address towards the "internet"
UPLINK_PEER = "198.18.200.2"  # a server out there
ECHO_PORT = 7000

# A TCP and UDP server: every TCP connection gets one line "tcp PEER LOCAL",
# every UDP datagram one "udp PEER LOCAL" (PEER: the source address it saw).
ECHO_SERVER = r"""
import socket, sys, threading
address, port = sys.argv[1], int(sys.argv[2])
tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
tcp.bind((address, port))
tcp.listen(64)
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind((address, port))

def serve_udp():
    while True:
        data, peer = udp.recvfrom(2048)
        udp.sendto(("udp %s %s\n" % (peer[0], address)).encode(), peer)

threading.Thread(target=serve_udp, daemon=True).start()
print("listening on %s:%d" % (address, port), flush=True)
while True:
    conn, peer = tcp.accept()
    try:
        conn.sendall(("tcp %s %s\n" % (peer[0], conn.getsockname()[0])).encode())
        print("tcp from %s" % peer[0], flush=True)
    except OSError:
        pass
    finally:
        conn.close()
"""

# One request to an echo server; prints its answer, or "ERR ..." when none.
ASK = r"""
import socket, sys
proto, host, port, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
try:
    if proto == "tcp":
        s = socket.create_connection((host, port), timeout=timeout)
        s.settimeout(timeout)
        data = b""
        while True:
            chunk = s.recv(256)
            if not chunk:
                break
            data += chunk
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(timeout)
        s.sendto(b"hello", (host, port))
        data = s.recv(256)
    print(data.decode().strip() or "ERR empty answer")
except OSError as e:
    print("ERR %s" % e)
"""


def setUpModule():
    netlab.require_root()
    if netlab.berthd_path() is None or netlab.berthctl_path() is None:
        raise unittest.SkipTest("no berthd or berthctl binary ($BERTHD, $BERTHCTL)")
    if not Path(NFT).exists():
        raise unittest.SkipTest("no nft binary to look at the kernel's rules")


# --------------------------------------------------------------------------
# helpers


def ask(ns, proto: str, host: str, port: int, timeout: float = 2.0) -> Optional[list]:
    """Sends one request from `ns`; the answer's words [proto, peer, local],
    or None when nothing answered."""
    r = ns.run([PYTHON, "-c", ASK, proto, host, str(port), str(timeout)], timeout=timeout + 10,
               check=False)
    words = r.stdout.split()
    if len(words) != 3 or words[0] != proto:
        return None
    return words


def ping(ns, address: str) -> bool:
    r = ns.run([netlab.BUSYBOX, "ping", "-c", "1", "-W", "1", address], timeout=10, check=False)
    return r.returncode == 0


def echo_server(lab, ns, address: str = "0.0.0.0", port: int = ECHO_PORT):
    script = lab.path("echo_server.py")
    if not script.exists():
        script.write_text(ECHO_SERVER)
    proc = ns.spawn([PYTHON, str(script), address, str(port)],
                    log=lab.path(f"echo-{ns.name}-{port}.log"))
    proc.wait_for_log("listening", 5)
    return proc


def uplink(lab, echo: bool = True):
    """The "internet": a namespace routed to the host, which has no route
    back to the bridges' subnets (only NAT brings answers back)."""
    ns = lab.peer("up", UPLINK_HOST + "/24", UPLINK_PEER + "/24")
    ns.ip("route", "del", "198.18.0.0/15", check=False)
    if ns.ip("route", "get", "198.18.0.10", check=False).returncode == 0:
        raise netlab.LabError("the uplink namespace still has a route to the bridges")
    if echo:
        echo_server(lab, ns, UPLINK_PEER)
    return ns


def ip_forward(host) -> str:
    return host.run(["cat", "/proc/sys/net/ipv4/ip_forward"]).stdout.strip()


def set_ip_forward(host, value: int):
    host.run(["sh", "-c", f"echo {int(value)} > /proc/sys/net/ipv4/ip_forward"])


def kernel_table(host) -> Optional[str]:
    """`nft list table inet berth` in the lab's host namespace; None when absent."""
    r = host.run([NFT, "list", "table", "inet", "berth"], check=False)
    return r.stdout if r.returncode == 0 else None


def without_counters(table: Optional[str]) -> Optional[str]:
    """A listing with its counters' values left out (they change with traffic)."""
    if table is None:
        return None
    return re.sub(r"counter packets \d+ bytes \d+", "counter", table)


def interface_with(ns, address: str) -> str:
    data = json.loads(ns.ip("-j", "-4", "addr", "show").stdout or "[]")
    for link in data:
        if any(a.get("local") == address for a in link.get("addr_info", [])):
            return link["ifname"]
    raise netlab.LabError(f"no interface in {ns.name} has {address}")


def forward_config(host_port: int, to: str, to_port: int, proto: str = "tcp",
                   host_address: Optional[str] = None) -> str:
    lines = ["[[bridge.forward]]", f'proto = "{proto}"', f"host_port = {host_port}",
             f'to = "{to}"', f"to_port = {to_port}"]
    if host_address:
        lines.append(f'host_address = "{host_address}"')
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------


class Nat(unittest.TestCase):
    def test_container_reaches_the_uplink_through_the_hosts_address(self):
        with Lab() as lab:
            uplink(lab)
            host = lab.host()
            set_ip_forward(host, 0)
            ct = lab.client("ct")
            server = start_berthd(lab, bridges=[BridgeConfig(extra="nat = true")])
            lease = netlab.Udhcpc(ct).acquire()
            self.assertEqual(lease.routers, [BRIDGE_ADDRESS])

            self.assertEqual(ip_forward(host), "1", "berthd turns IPv4 forwarding on for NAT")
            self.assertRegex(server.process.log_text(), r"(?i)(ipv4[ _-]?forwarding|ip_forward)",
                             "berthd says in its log that it turned forwarding on")

            got = ask(ct, "tcp", UPLINK_PEER, ECHO_PORT)
            self.assertIsNotNone(got, "TCP from the container to the uplink got no answer")
            self.assertEqual(got[1], UPLINK_HOST, "the uplink sees the host's address, "
                             "not the container's")
            got = ask(ct, "udp", UPLINK_PEER, ECHO_PORT)
            self.assertIsNotNone(got, "UDP from the container to the uplink got no answer")
            self.assertEqual(got[1], UPLINK_HOST)

            fw = server.ctl("firewall", "show", json_out=True)
            self.assertTrue(fw["enabled"])
            self.assertTrue(fw["in_sync"], fw)
            self.assertIn("table inet berth", fw["wanted"])
            self.assertIsNotNone(fw["kernel"])
            self.assertIsNotNone(kernel_table(host), "the table is in the kernel")
            # berthd owns its table only: it made no other.
            tables = host.run([NFT, "list", "tables"]).stdout.split("\n")
            self.assertEqual([t.strip() for t in tables if t.strip()], ["table inet berth"])

    def test_nat_address_translates_to_that_address(self):
        with Lab() as lab:
            uplink(lab)
            host = lab.host()
            fixed = "198.18.200.9"
            host.ip("addr", "add", fixed + "/24", "dev", interface_with(host, UPLINK_HOST))
            ct = lab.client("sn")
            start_berthd(lab, bridges=[BridgeConfig(extra=f'nat = true\nnat_address = "{fixed}"')])
            netlab.Udhcpc(ct).acquire()
            got = ask(ct, "tcp", UPLINK_PEER, ECHO_PORT)
            self.assertIsNotNone(got, "TCP through SNAT got no answer")
            self.assertEqual(got[1], fixed)
            got = ask(ct, "udp", UPLINK_PEER, ECHO_PORT)
            self.assertIsNotNone(got, "UDP through SNAT got no answer")
            self.assertEqual(got[1], fixed)


class Forwards(unittest.TestCase):
    def test_forward_by_name_follows_the_lease_and_hairpins(self):
        with Lab() as lab:
            up = uplink(lab, echo=False)
            web = lab.client("web")
            other = lab.client("other")
            bridge = BridgeConfig(extra="nat = true\n" + forward_config(8080, "web", 80))
            server = start_berthd(lab, bridges=[bridge])
            web_dhcp = netlab.Udhcpc(web, hostname="web")
            lease = web_dhcp.acquire()
            echo_server(lab, web, "0.0.0.0", 80)
            netlab.Udhcpc(other).acquire()

            got = wait_until(lambda: ask(up, "tcp", UPLINK_HOST, 8080), 5,
                             "the forward of the host's uplink address to reach web")
            self.assertEqual(got[2], lease.ip, "the forward goes to web's address")
            listed = server.ctl("forward", "list", json_out=True)["forwards"]
            self.assertEqual([(f["host_port"], f["to"], f["to_port"], f["source"], f["target"])
                              for f in listed], [(8080, "web", 80, "config", lease.ip)])

            # Hairpin: a container on the same bridge, through the host's addresses.
            got = ask(other, "tcp", UPLINK_HOST, 8080)
            self.assertIsNotNone(got, "hairpin through the uplink address got no answer")
            self.assertEqual(got[2], lease.ip)
            got = ask(other, "tcp", BRIDGE_ADDRESS, 8080)
            self.assertIsNotNone(got, "hairpin through the bridge address got no answer")
            self.assertEqual(got[2], lease.ip)

            # The lease moves (a reservation for web's MAC elsewhere): the forward follows.
            moved_ip = "198.18.0.7"
            out = server.ctl("reservation", "add", "--bridge", "br0", "--mac", web.mac, "--ip",
                             moved_ip, json_out=True)
            self.assertEqual([l["ip"] for l in out["forgotten_leases"]], [lease.ip])
            moved = web_dhcp.renew()
            self.assertEqual(moved.ip, moved_ip)
            got = wait_until(lambda: (r := ask(up, "tcp", UPLINK_HOST, 8080, 1.0))
                             and r[2] == moved_ip and r, 5,
                             "the forward to follow web to its new address")
            listed = server.ctl("forward", "list", json_out=True)["forwards"]
            self.assertEqual([f["target"] for f in listed], [moved_ip])

            # A forward added with berthctl, on one host address only.
            added = server.ctl("forward", "add", "--bridge", "br0", "tcp", "9090", "web:80",
                               "--host-address", UPLINK_HOST, json_out=True)
            self.assertGreater(added["id"], 0)
            self.assertEqual(added["source"], "api")
            self.assertEqual(added["host_address"], UPLINK_HOST)
            self.assertEqual(added["target"], moved_ip)
            got = wait_until(lambda: ask(up, "tcp", UPLINK_HOST, 9090, 1.0), 5,
                             "the added forward to work")
            self.assertEqual(got[2], moved_ip)
            got = ask(other, "tcp", UPLINK_HOST, 9090)
            self.assertIsNotNone(got, "hairpin to the added forward got no answer")
            self.assertEqual(got[2], moved_ip)
            self.assertIsNone(ask(other, "tcp", BRIDGE_ADDRESS, 9090, 1.0),
                              "a forward on one host address took another")
            ids = [f["id"] for f in server.ctl("forward", "list", json_out=True)["forwards"]]
            self.assertIn(added["id"], ids)

            server.ctl("forward", "rm", str(added["id"]))
            wait_until(lambda: ask(up, "tcp", UPLINK_HOST, 9090, 1.0) is None, 5,
                       "the removed forward to stop")
            ids = [f["id"] for f in server.ctl("forward", "list", json_out=True)["forwards"]]
            self.assertNotIn(added["id"], ids)
            r = server.ctl("forward", "rm", str(added["id"]), check=False)
            self.assertEqual(r.returncode, 1, "removing it twice is refused")
            # The config file's forward is untouched.
            got = ask(up, "tcp", UPLINK_HOST, 8080)
            self.assertIsNotNone(got)
            self.assertEqual(got[2], moved_ip)
            self.assertTrue(server.process.alive())


class Isolation(unittest.TestCase):
    def test_bridges_are_isolated_unless_allowed(self):
        br0 = BridgeConfig(extra="# allow here")
        br1 = BridgeConfig(name="br1", address="198.18.1.1/24",
                           pool=("198.18.1.10", "198.18.1.50"), domain="one")
        with Lab() as lab:
            host = lab.host()
            a = lab.client("a")
            server = start_berthd(lab, bridges=[br0, br1])
            b = lab.client("b", bridge="br1")  # br1 exists now: enslaved to it at once
            la = netlab.Udhcpc(a).acquire()
            lb = netlab.Udhcpc(b).acquire()
            self.assertTrue(server.in_pool(la.ip, br0))
            self.assertTrue(server.in_pool(lb.ip, br1))
            echo_server(lab, b)
            echo_server(lab, a)
            # The host forwards (for whatever reason): only berth's rules keep them apart.
            set_ip_forward(host, 1)
            self.assertTrue(ping(a, BRIDGE_ADDRESS), "a reaches its own gateway")
            self.assertTrue(ping(b, "198.18.1.1"), "b reaches its own gateway")

            self.assertFalse(ping(a, lb.ip), "br0 reached br1")
            self.assertFalse(ping(b, la.ip), "br1 reached br0")
            self.assertIsNone(ask(a, "tcp", lb.ip, ECHO_PORT, 1.0), "TCP br0 -> br1")
            self.assertIsNone(ask(b, "tcp", la.ip, ECHO_PORT, 1.0), "TCP br1 -> br0")
            self.assertIsNone(ask(a, "udp", lb.ip, ECHO_PORT, 1.0), "UDP br0 -> br1")

            # Allowed on br0's side: both ways work (after a reload).
            text = server.config_path.read_text()
            self.assertIn("# allow here", text)
            server.config_path.write_text(text.replace("# allow here", 'allow_bridges = ["br1"]'))
            server.ctl("reload")
            wait_until(lambda: ping(a, lb.ip), 5, "br0 to reach br1 once allowed")
            self.assertTrue(ping(b, la.ip), "br1 reaches br0 once allowed")
            got = ask(a, "tcp", lb.ip, ECHO_PORT)
            self.assertIsNotNone(got, "TCP br0 -> br1 once allowed")
            got = ask(b, "tcp", la.ip, ECHO_PORT)
            self.assertIsNotNone(got, "TCP br1 -> br0 once allowed")
            self.assertIsNotNone(ask(a, "udp", lb.ip, ECHO_PORT), "UDP br0 -> br1 once allowed")
            self.assertTrue(server.ctl("firewall", "show", json_out=True)["in_sync"])


class Repair(unittest.TestCase):
    def test_table_comes_back_after_flush_ruleset_and_traffic_flows(self):
        with Lab() as lab:
            uplink(lab)
            host = lab.host()
            ct = lab.client("fl")
            server = start_berthd(lab, bridges=[BridgeConfig(extra="nat = true")])
            netlab.Udhcpc(ct).acquire()
            got = ask(ct, "tcp", UPLINK_PEER, ECHO_PORT)
            self.assertIsNotNone(got)
            self.assertEqual(got[1], UPLINK_HOST)
            before = kernel_table(host)
            self.assertIsNotNone(before)

            for how in (["flush", "ruleset"], ["delete", "table", "inet", "berth"]):
                host.run([NFT, *how])
                t0 = time.monotonic()
                fw = server.ctl("firewall", "show", json_out=True)
                if fw["kernel"] is None:
                    self.assertFalse(fw["in_sync"], "no table in the kernel, yet in sync")
                left = max(0.1, 5.0 - (time.monotonic() - t0))
                wait_until(lambda: kernel_table(host) is not None, left,
                           f"the table back within 5 s of `nft {' '.join(how)}`")
                wait_until(lambda: server.ctl("firewall", "show", json_out=True)["in_sync"], 5,
                           "firewall show to report the table in sync again")
                self.assertEqual(without_counters(kernel_table(host)), without_counters(before),
                                 "the same table came back")
                got = wait_until(lambda: ask(ct, "tcp", UPLINK_PEER, ECHO_PORT, 1.0), 5,
                                 f"NAT traffic to flow again after `nft {' '.join(how)}`")
                self.assertEqual(got[1], UPLINK_HOST)
                got = ask(ct, "udp", UPLINK_PEER, ECHO_PORT)
                self.assertIsNotNone(got)
                self.assertEqual(got[1], UPLINK_HOST)
            self.assertTrue(server.process.alive())

    def test_deleted_bridge_is_recreated_and_serves_again(self):
        mac = "02:62:72:00:00:01"
        with Lab() as lab:
            host = lab.host()
            old = lab.client("old")
            server = start_berthd(lab, bridges=[BridgeConfig(extra=f'mac = "{mac}"')])
            self.assertEqual(host.link("br0")["address"], mac)
            old_lease = netlab.Udhcpc(old).acquire(keep_running=False)

            host.ip("link", "del", "br0")
            t0 = time.monotonic()

            def recreated():
                if not host.link_exists("br0"):
                    return False
                link = host.link("br0")
                return (link.get("linkinfo", {}).get("info_kind") == "bridge"
                        and "UP" in link.get("flags", [])
                        and "198.18.0.1/24" in host.addresses("br0"))

            wait_until(recreated, 2, "br0 to be created again, up, with its address")
            self.assertLess(time.monotonic() - t0, 2.2)
            self.assertEqual(host.link("br0")["address"], mac, "the configured MAC again")

            new = lab.client("new")  # enslaved to the new br0 at once
            t1 = time.monotonic()
            lease = netlab.Udhcpc(new).acquire(timeout=10)
            self.assertLess(time.monotonic() - t1, 10)
            self.assertTrue(server.in_pool(lease.ip), lease.ip)
            self.assertNotEqual(lease.ip, old_lease.ip)
            # DNS listens on the new bridge too.
            wait_until(lambda: new.run([DIG, f"@{BRIDGE_ADDRESS}", "+time=1", "+tries=1",
                                        "+short", "_gateway.lab"], check=False).stdout.split()
                       == [BRIDGE_ADDRESS], 2, "DNS to answer on the recreated bridge")
            # The old client, back on the bridge, keeps its address.
            lab.attach(old, "br0")
            again = netlab.Udhcpc(old).acquire(timeout=10, keep_running=False,
                                               requested=old_lease.ip)
            self.assertEqual(again.ip, old_lease.ip)
            self.assertTrue(server.process.alive())


class AttachDetach(unittest.TestCase):
    def test_attach_and_detach_a_namespace(self):
        mac = "02:62:74:aa:00:01"
        with Lab() as lab:
            host = lab.host()
            ns = lab.empty_client("att", mac=mac)
            self.assertFalse(ns.link_exists("eth0"))
            server = start_berthd(lab)

            out = server.ctl("attach", "--bridge", "br0", "--netns", ns.name, "--mac", mac,
                             json_out=True)
            self.assertEqual(out["bridge"], "br0")
            self.assertEqual(out["ifname"], "eth0")
            self.assertEqual(out["mac"], mac)
            inside = ns.link("eth0")
            self.assertEqual(inside["address"], mac)
            self.assertEqual(inside.get("linkinfo", {}).get("info_kind"), "veth")
            self.assertIn("UP", inside["flags"])
            outside = host.link(out["host_ifname"])
            self.assertEqual(outside.get("master"), "br0")
            self.assertEqual(outside.get("linkinfo", {}).get("info_kind"), "veth")
            self.assertIn("UP", outside["flags"])

            lease = netlab.Udhcpc(ns).acquire(keep_running=False)
            self.assertTrue(server.in_pool(lease.ip), lease.ip)
            self.assertIn(mac, [l["mac"] for l in server.leases() if l["ip"] == lease.ip])
            self.assertTrue(ping(ns, BRIDGE_ADDRESS))

            # By PID, another name inside, the kernel's MAC.
            sleeper = ns.spawn(["sleep", "60"])
            wait_until(lambda: Path(f"/proc/{sleeper.pid}/comm").read_text().strip() == "sleep",
                       5, "the sleeper to be inside its namespace")
            out2 = server.ctl("attach", "--bridge", "br0", "--pid", str(sleeper.pid), "--ifname",
                              "eth1", json_out=True)
            self.assertEqual(out2["ifname"], "eth1")
            self.assertNotEqual(out2["host_ifname"], out["host_ifname"])
            self.assertEqual(ns.link("eth1")["address"], out2["mac"])
            self.assertEqual(host.link(out2["host_ifname"]).get("master"), "br0")
            server.ctl("detach", "--bridge", "br0", "--pid", str(sleeper.pid), "--ifname", "eth1")
            self.assertFalse(ns.link_exists("eth1"))
            self.assertFalse(host.link_exists(out2["host_ifname"]))
            self.assertTrue(ns.link_exists("eth0"), "detaching eth1 left eth0 alone")

            # Refusals change nothing.
            r = server.ctl("attach", "--bridge", "nope0", "--netns", ns.name, "--ifname", "eth2",
                           check=False)
            self.assertEqual(r.returncode, 1)
            self.assertFalse(ns.link_exists("eth2"))
            r = server.ctl("detach", "--bridge", "br0", "--netns", ns.name, "--ifname", "lo",
                           check=False)
            self.assertEqual(r.returncode, 1, "lo is no veth of br0")
            self.assertTrue(ns.link_exists("lo"))

            server.ctl("detach", "--bridge", "br0", "--netns", ns.name)
            self.assertFalse(ns.link_exists("eth0"))
            self.assertFalse(host.link_exists(out["host_ifname"]))
            r = server.ctl("detach", "--bridge", "br0", "--netns", ns.name, check=False)
            self.assertEqual(r.returncode, 1, "nothing left to detach")
            self.assertTrue(server.process.alive())


class Shutdown(unittest.TestCase):
    def run_and_stop(self, keep_rules: Optional[bool]):
        with Lab() as lab:
            host = lab.host()
            lab.client("sd")
            extra = "" if keep_rules is None else \
                f"[firewall]\nkeep_rules = {'true' if keep_rules else 'false'}"
            bridges = [BridgeConfig(extra="nat = true\n" + forward_config(8080, "198.18.0.50", 80))]
            config = netlab.berthd_config("@DATABASE@", bridges, extra=extra)
            server = start_berthd(lab, config, bridges=bridges)
            table = kernel_table(host)
            self.assertIsNotNone(table)
            self.assertRegex(table, r"(?i)masquerade|snat")
            self.assertIn("198.18.0.50", table)
            server.stop()
            self.assertEqual(server.process.returncode, 0)
            return without_counters(table), without_counters(kernel_table(host))

    def test_table_is_removed_on_sigterm(self):
        _, after = self.run_and_stop(None)
        self.assertIsNone(after, "the table outlived berthd")

    def test_keep_rules_leaves_the_table(self):
        before, after = self.run_and_stop(True)
        self.assertEqual(after, before, "keep_rules = true: the table stays as it was")


if __name__ == "__main__":
    unittest.main(verbosity=2)
