#!/usr/bin/python3
"""Leases and reservations that never lie (issue 3), against real clients.

- a dhclient holding a dynamic lease gets a reservation written into the
  database by another process; berthd picks it up, NAKs the client's next
  REQUEST and moves it to the reserved address;
- a declined address is not offered again during its quarantine;
- a pool of 4 with 6 clients gives 4 leases and no duplicates;
- kill -9 of berthd under perfdhcp load loses no acknowledged lease.
"""

import ipaddress
import shutil
import signal
import sqlite3
import sys
import threading
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dhcpframes  # noqa: E402
import netlab  # noqa: E402
from netlab import BridgeConfig, Lab, start_berthd, wait_until  # noqa: E402

SERVER = "198.18.0.1"
PERFDHCP = shutil.which("perfdhcp") or "/usr/sbin/perfdhcp"
TCPDUMP = shutil.which("tcpdump") or "/usr/bin/tcpdump"


def setUpModule():
    netlab.require_root()
    if netlab.berthd_path() is None:
        raise unittest.SkipTest("no berthd binary ($BERTHD)")


def write_db(db_path, sql, *params):
    """Another process's write to berthd's database (WAL: no lock-out)."""
    with sqlite3.connect(db_path, timeout=10) as conn:
        conn.execute(sql, params)


class Reservations(unittest.TestCase):
    def test_dhclient_moves_to_a_reservation_added_to_the_database(self):
        with Lab() as lab:
            ns = lab.client("res")
            server = start_berthd(lab)
            client = netlab.Dhclient(ns)
            dynamic = client.acquire(keep_running=True)
            self.assertTrue(server.in_pool(dynamic.ip))
            # dhclient writes its lease file just after the BOUND hook; its next
            # start asks for that lease again (INIT-REBOOT).
            wait_until(lambda: dynamic.ip in client.lease_file.read_text(), 5,
                       "dhclient to write its lease file")

            reserved = "198.18.0.5"  # outside the dynamic pool
            write_db(server.db_path,
                     "INSERT INTO reservations (bridge, match_kind, match_value, ip, name, "
                     "created_at) VALUES ('br0', 'mac', ?, ?, 'web', 0)", ns.mac, reserved)
            server.process.wait_for_log(r"br0: 1 reservation\(s\)", 5,
                                        "berthd to load the new reservation")

            moved = client.renew()
            self.assertEqual(moved.ip, reserved)
            server.process.wait_for_log(
                rf"DHCPNAK\(br0\) {dynamic.ip} {ns.mac} client has a reservation", 5)
            server.process.wait_for_log(rf"DHCPACK\(br0\) {reserved} {ns.mac}", 5)
            leases = {l["ip"]: l for l in server.leases()}
            self.assertEqual(leases[reserved]["mac"], ns.mac)
            self.assertNotIn(dynamic.ip, leases, "the old dynamic lease was not forgotten")

    def test_reservation_in_the_config_file_wins_over_a_clashing_database_row(self):
        with Lab() as lab:
            ns = lab.client("cfg")
            other = lab.client("oth")
            reserved = "198.18.0.6"  # outside the dynamic pool
            bridge = BridgeConfig(extra=f"""
[[bridge.reservation]]
mac = "{ns.mac}"
ip = "{reserved}"
name = "fromfile"
""")
            server = start_berthd(lab, bridges=[bridge])
            server.process.wait_for_log(r"br0: 1 reservation\(s\), 1 from the config file", 5)
            write_db(server.db_path,
                     "INSERT INTO reservations (bridge, match_kind, match_value, ip, name, "
                     "created_at) VALUES ('br0', 'mac', ?, ?, 'clash', 0)", other.mac, reserved)
            server.process.wait_for_log(r"reservation \d+ .* is ignored: its address is "
                                        r"reservation -1", 5, "the clash to be reported")
            self.assertEqual(netlab.Udhcpc(ns).acquire().ip, reserved)
            got = netlab.Udhcpc(other).acquire().ip
            self.assertNotEqual(got, reserved)
            self.assertTrue(server.in_pool(got))

    def test_reservation_for_an_address_outside_the_subnet_is_ignored_with_a_reason(self):
        with Lab() as lab:
            server = start_berthd(lab)
            write_db(server.db_path,
                     "INSERT INTO reservations (bridge, match_kind, match_value, ip, name, "
                     "created_at) VALUES ('br0', 'mac', '02:00:00:00:00:99', '198.19.0.5', '', 0)")
            server.process.wait_for_log(r"reservation \d+ on br0 ignored: 198\.19\.0\.5 is outside",
                                        5, "berthd to refuse the reservation")
            self.assertTrue(server.process.alive())


class Decline(unittest.TestCase):
    def exchange(self, ns, frame, xid):
        got = dhcpframes.replies(netlab.send_raw_frames(ns, "eth0", [frame], capture_seconds=2,
                                                        max_frames=1), xid)
        self.assertEqual(len(got), 1, "no reply")
        return got[0]

    def test_declined_address_is_not_offered_during_quarantine(self):
        with Lab() as lab:
            a, b = lab.client("d1"), lab.client("d2")
            server = start_berthd(lab, bridges=[BridgeConfig(extra="decline_quarantine = 300")])
            kind, offered, _ = self.exchange(a, dhcpframes.discover(a.mac, 1), 1)
            self.assertEqual(kind, dhcpframes.OFFER)
            kind, acked, _ = self.exchange(a, dhcpframes.request(a.mac, 2, offered, SERVER), 2)
            self.assertEqual((kind, acked), (dhcpframes.ACK, offered))
            netlab.send_raw_frames(a, "eth0", [dhcpframes.decline(a.mac, 3, offered, SERVER)])
            server.process.wait_for_log(rf"DHCPDECLINE\(br0\) {offered}", 5, "the decline")

            _, again, _ = self.exchange(a, dhcpframes.discover(a.mac, 4), 4)
            self.assertNotEqual(again, offered)
            asked = dhcpframes.discover(b.mac, 5, [("requested_addr", offered)])
            _, other, _ = self.exchange(b, asked, 5)
            self.assertNotEqual(other, offered)
            with sqlite3.connect(f"file:{server.db_path}?mode=ro", uri=True) as conn:
                rows = conn.execute(
                    "SELECT ip, mac, until - declined_at FROM quarantine").fetchall()
            self.assertEqual(rows, [(offered, a.mac, 300)])  # the configured quarantine


class SmallPool(unittest.TestCase):
    def test_pool_of_four_with_six_clients_gives_four_leases(self):
        with Lab() as lab:
            namespaces = [lab.client(f"p{i}") for i in range(6)]
            server = start_berthd(lab, bridges=[BridgeConfig(pool=("198.18.0.10", "198.18.0.13"))])
            got, failed = {}, []

            def get(ns):
                try:
                    got[ns.mac] = netlab.Udhcpc(ns).acquire(keep_running=False, timeout=12)
                except Exception:
                    failed.append(ns.mac)

            threads = [threading.Thread(target=get, args=(ns,)) for ns in namespaces]
            for t in threads:
                t.start()
            for t in threads:
                t.join(40)
            ips = sorted(l.ip for l in got.values())
            self.assertEqual(len(ips), 4, f"leases: {ips}")
            self.assertEqual(len(set(ips)), 4, f"duplicates: {ips}")
            self.assertEqual(len(failed), 2)
            bound = [l for l in server.leases() if l["state"] == "bound"]
            self.assertEqual(sorted(l["ip"] for l in bound), ips)
            server.process.wait_for_log(r"pool 198\.18\.0\.10-198\.18\.0\.13 is exhausted", 5)


def acks_in(pcap: Path) -> list:
    """(yiaddr, chaddr MAC) of every DHCPACK in a capture."""
    from scapy.layers.dhcp import BOOTP, DHCP
    from scapy.utils import PcapReader
    out = []
    with PcapReader(str(pcap)) as packets:
        for p in packets:
            if BOOTP not in p or DHCP not in p or p[BOOTP].op != 2:
                continue
            opts = {o[0]: o[1] for o in p[DHCP].options if isinstance(o, tuple)}
            if opts.get("message-type") == dhcpframes.ACK:
                mac = ":".join(f"{b:02x}" for b in bytes(p[BOOTP].chaddr)[:6])
                out.append((p[BOOTP].yiaddr, mac))
    return out


class KillNine(unittest.TestCase):
    def test_no_acknowledged_lease_is_lost_when_berthd_is_killed_under_load(self):
        if not shutil.which(PERFDHCP) or not shutil.which(TCPDUMP):
            self.skipTest("perfdhcp or tcpdump missing")
        with Lab() as lab:
            ns = lab.client("perf")
            bridge = BridgeConfig(address="198.18.0.1/16", pool=("198.18.1.0", "198.18.255.254"))
            db = lab.subdir("state") / "berth.db"
            config = netlab.berthd_config(db, [bridge], log_level="info")
            server = start_berthd(lab, config, bridges=[bridge])
            ns.ip("addr", "add", "198.18.0.2/16", "dev", ns.ifname)
            pcap = lab.path("acks.pcap")
            # perfdhcp acts as a relay (giaddr = its address): replies come to port 67.
            capture = ns.spawn([TCPDUMP, "-i", ns.ifname, "-n", "-U", "-w", str(pcap),
                                "udp src port 67"], log=lab.path("tcpdump.log"))
            capture.wait_for_log(r"listening on", 10, "tcpdump to start")
            perf = ns.spawn([PERFDHCP, "-4", "-l", ns.ifname, "-r", "500", "-R", "20000",
                             "-p", "10", "-W", "1000000", SERVER], log=lab.path("perfdhcp.log"))
            # Kill in the middle of the load, once a fair number of leases are bound.
            wait_until(lambda: len(netlab.read_berthd_leases(db)) >= 300, 20,
                       "300 leases under load")
            server.process.signal(signal.SIGKILL)
            server.process.wait(5)
            time.sleep(0.5)
            perf.terminate()
            capture.terminate()

            acks = acks_in(pcap)
            # Leases committed but not yet acknowledged when the kill came are
            # fine to have; what must never be is an ACK without a stored lease.
            self.assertGreaterEqual(len(acks), 200)
            by_ip = {}
            for ip, mac in acks:
                self.assertEqual(by_ip.setdefault(ip, mac), mac,
                                 f"{ip} acknowledged to two clients")
            stored = {l["ip"]: l for l in netlab.read_berthd_leases(db)}
            lost = [(ip, mac) for ip, mac in by_ip.items()
                    if ip not in stored or stored[ip]["mac"] != mac]
            self.assertEqual(lost, [], f"{len(lost)} acknowledged lease(s) missing")
            bound_macs = [l["mac"] for l in stored.values() if l["state"] == "bound"]
            self.assertEqual(len(bound_macs), len(set(bound_macs)), "a client holds two leases")

            # And the database opens and serves again.
            again = start_berthd(lab, config, bridges=[bridge])
            self.assertRegex(again.process.log_text(), rf": {len(stored)} lease\(s\)")
            lease = netlab.Udhcpc(lab.client("after")).acquire(keep_running=False)
            self.assertIn(ipaddress.IPv4Address(lease.ip), ipaddress.IPv4Network("198.18.0.0/16"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
