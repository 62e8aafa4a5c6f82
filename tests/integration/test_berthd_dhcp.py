#!/usr/bin/python3
"""berthd hands out leases to real clients (issue 2).

Each test builds its own lab (netlab.Lab: namespaces, veths, 198.18.0.0/15
only) with berthd creating the bridge itself, runs real clients against it,
and tears everything down, also on failure.
"""

import re
import shutil
import signal
import sys
import threading
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import netlab  # noqa: E402
from netlab import CLIENTS, BridgeConfig, Lab, start_berthd, wait_until  # noqa: E402

ROUTER = "198.18.0.1"


def setUpModule():
    netlab.require_root()
    for tool in (netlab.BUSYBOX, netlab.DHCLIENT, netlab.DHCPCD):
        if not shutil.which(tool):
            raise unittest.SkipTest(f"{tool} is not installed")
    if netlab.berthd_path() is None:
        raise unittest.SkipTest("no berthd binary ($BERTHD)")


def db_lease(server, mac):
    found = [l for l in server.leases() if l["mac"] == mac]
    return found[0] if found else None


def stats(server, pattern, timeout=5.0):
    """Asks berthd for its counters (SIGUSR1) and returns the first match of
    `pattern` in the newest stats lines."""
    mark = len(server.process.log_text())
    server.process.signal(signal.SIGUSR1)
    def found():
        text = server.process.log_text()[mark:]
        return re.search(pattern, text)
    return wait_until(found, timeout, f"stats matching {pattern!r}")


class RealClients(unittest.TestCase):
    def check_lease(self, server, lease):
        self.assertTrue(server.in_pool(lease.ip), f"{lease.ip} outside the pool")
        self.assertEqual(lease.mask, "255.255.255.0")
        self.assertEqual(lease.routers, [ROUTER])
        self.assertEqual(lease.dns, [ROUTER])
        self.assertEqual(lease.domain, "lab")
        self.assertEqual(lease.lease_time, 600)
        self.assertEqual(lease.server_id, ROUTER)

    def exercise(self, kind):
        with Lab() as lab:
            ns = lab.client("c1")
            server = start_berthd(lab)
            self.assertTrue(lab.host().link_exists("br0"), "berthd did not create br0")
            self.assertIn("198.18.0.1/24", lab.host().addresses("br0"))
            client = CLIENTS[kind](ns, hostname=f"{kind}-host")

            lease = client.acquire(keep_running=True)
            self.check_lease(server, lease)
            self.assertIn(f"{lease.ip}/24", ns.addresses("eth0"))
            held = db_lease(server, ns.mac)
            self.assertIsNotNone(held, "the ACKed lease is not in the database")
            self.assertEqual(held["ip"], lease.ip)
            self.assertEqual(held["state"], "bound")
            self.assertEqual(held["hostname"], f"{kind}-host")

            renewed = client.renew()
            self.assertEqual(renewed.ip, lease.ip)
            self.check_lease(server, renewed)
            self.assertGreaterEqual(db_lease(server, ns.mac)["expires_at"], held["expires_at"])

            client.release()
            wait_until(lambda: db_lease(server, ns.mac)["state"] == "released", 5,
                       "berthd to record the release")
            server.process.wait_for_log(rf"DHCPRELEASE\(br0\) {lease.ip} {ns.mac}", 5)
            # Each message was read once, on the packet socket: the UDP socket
            # on port 67, which hears the broadcasts too, filters them out.
            metrics = server.ctl("metrics").stdout
            read = {m.group(1): int(m.group(2)) for m in re.finditer(
                r'berth_dhcp_socket_received_total\{socket="(\w+)"\} (\d+)', metrics)}
            self.assertEqual(read.get("udp"), 0, metrics)
            self.assertGreaterEqual(read.get("packet", 0), 4, metrics)  # D, R, renew R, release

    def test_udhcpc(self):
        self.exercise("udhcpc")

    def test_dhclient(self):
        self.exercise("dhclient")

    def test_dhcpcd(self):
        self.exercise("dhcpcd")


class ManyClients(unittest.TestCase):
    def test_twenty_clients_at_once_get_twenty_distinct_addresses(self):
        with Lab() as lab:
            namespaces = [lab.client(f"m{i}") for i in range(20)]
            server = start_berthd(lab)
            clients = [netlab.Udhcpc(ns) for ns in namespaces]
            results, errors = {}, []

            def get(c):
                try:
                    results[c.ns.mac] = c.acquire(keep_running=False, timeout=40)
                except Exception as e:  # reported below, with the client
                    errors.append(f"{c.ns.short}: {e}")

            threads = [threading.Thread(target=get, args=(c,)) for c in clients]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            self.assertEqual(errors, [])
            ips = [l.ip for l in results.values()]
            self.assertEqual(len(ips), 20)
            self.assertEqual(len(set(ips)), 20, f"duplicate addresses: {sorted(ips)}")
            bound = {l["mac"]: l["ip"] for l in server.leases() if l["state"] == "bound"}
            self.assertEqual(bound, {mac: l.ip for mac, l in results.items()})


class Restart(unittest.TestCase):
    def test_renewing_client_keeps_its_address_across_a_restart(self):
        with Lab() as lab:
            ns = lab.client("r1")
            db = lab.subdir("state") / "berth.db"
            config = netlab.berthd_config(db)
            server = start_berthd(lab, config)
            client = netlab.Dhclient(ns)
            lease = client.acquire(keep_running=False)
            server.stop()
            self.assertEqual(server.process.returncode, 0)

            again = start_berthd(lab, config)
            self.assertIn("lease database", again.process.log_text())
            self.assertRegex(again.process.log_text(), r": 1 lease\(s\)")
            renewed = client.renew()
            self.assertEqual(renewed.ip, lease.ip)
            again.process.wait_for_log(rf"DHCPACK\(br0\) {lease.ip} {ns.mac}", 5)


class MalformedPackets(unittest.TestCase):
    def test_malformed_frames_are_counted_and_dropped_and_the_next_client_is_served(self):
        import dhcpframes
        with Lab() as lab:
            raw = lab.client("raw")
            server = start_berthd(lab)
            mac = raw.mac
            valid = dhcpframes.discover(mac, 0x5EED0001)
            payload_at = 14 + 20 + 8
            # Truncated DHCP messages in well-formed IP/UDP envelopes (a frame
            # whose IP lengths lie is dropped by the kernel's bridge netfilter
            # before any packet socket sees it).
            truncated = [rewrap(valid, valid[payload_at:payload_at + n]) for n in (10, 200, 239)]
            bad_length = rewrap(valid, valid[payload_at:-1] + b"\x35\xff")
            # An overload option inside `file` too: a loop the parser must refuse.
            loop = bytearray(dhcpframes.message(
                mac, 0x5EED0002, [("message-type", "discover"), ("dhcp-option-overload", 1)]))
            file_at = payload_at + 108
            loop[file_at:file_at + 4] = bytes([52, 1, 1, 255])
            overload_loop = rewrap(bytes(loop), bytes(loop[payload_at:]))
            bad_udp_checksum = bytearray(valid)
            bad_udp_checksum[14 + 20 + 6] ^= 0xFF
            # From a relay agent (port 67, giaddr set), to the bridge address:
            # only the UDP socket sees it, and it must count it too.
            relayed = bytearray(dhcpframes.message(
                mac, 0x5EED0003, [("message-type", "discover")], dst_ip="198.18.0.1",
                dst_mac=lab.host().link("br0")["address"], src_ip="198.18.0.254"))
            relayed[payload_at + 24:payload_at + 28] = bytes([198, 18, 0, 254])  # giaddr
            relayed[14 + 20:14 + 22] = (67).to_bytes(2, "big")  # UDP source port
            relayed = rewrap(bytes(relayed), bytes(relayed[payload_at:-1]) + b"\x35\xff")
            frames = truncated + [bad_length, overload_loop, bytes(bad_udp_checksum), relayed]
            netlab.send_raw_frames(raw, "eth0", frames)
            m = stats(server, r"stats: dropped (.*)")
            dropped = dict(kv.split("=") for kv in m.group(1).split())
            total = sum(int(v) for k, v in dropped.items() if k.startswith(("frame_", "dhcp_")))
            self.assertEqual(total, len(frames), dropped)
            self.assertTrue(server.process.alive())
            # The next real client is served as usual.
            lease = netlab.Udhcpc(lab.client("next")).acquire(keep_running=False)
            self.assertTrue(server.in_pool(lease.ip))


def rewrap(frame: bytes, payload: bytes) -> bytes:
    """`frame`'s Ethernet/IP/UDP headers around a new UDP payload, with lengths
    and checksums recomputed, so only the DHCP content is malformed."""
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether
    f = Ether(frame)
    udp = f[UDP]
    udp.remove_payload()
    del f[IP].len, f[IP].chksum, udp.len, udp.chksum
    return bytes(f / payload)


if __name__ == "__main__":
    unittest.main(verbosity=2)
