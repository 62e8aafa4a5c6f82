#!/usr/bin/python3
"""The integration harness (tests/integration/netlab/) proven against dnsmasq.

dnsmasq serves a bridge in a lab namespace; busybox udhcpc, ISC dhclient and
dhcpcd each get a lease with the right mask, router, DNS server and domain,
renew it without losing the address and release it (dnsmasq drops the lease).
Raw frames reach the server, teardown leaves nothing behind, also on SIGTERM.
Runs as root only (network namespaces); addresses are all in 198.18.0.0/15.
"""

import ipaddress
import json
import shutil
import signal
import subprocess
import sys
import tomllib
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import netlab  # noqa: E402
from netlab import (CLIENTS, BridgeConfig, Lab, LabError, TeardownError,  # noqa: E402
                    berthd_config, send_raw_frames, start_dnsmasq, wait_until)

ROUTER = "198.18.0.1"


def setUpModule():
    netlab.require_root()
    for tool in (netlab.DNSMASQ, netlab.BUSYBOX, netlab.DHCLIENT, netlab.DHCPCD):
        if not shutil.which(tool):
            raise unittest.SkipTest(f"{tool} is not installed")


def pid_alive(pid: int) -> bool:
    return netlab._pid_alive(pid)


class ClientsAgainstDnsmasq(unittest.TestCase):
    def check_lease(self, server, lease):
        self.assertTrue(server.in_pool(lease.ip), f"{lease.ip} outside the pool")
        self.assertEqual(lease.mask, "255.255.255.0")
        self.assertEqual(lease.prefix_len, 24)
        self.assertEqual(lease.routers, [ROUTER])
        self.assertEqual(lease.dns, [ROUTER])
        self.assertEqual(lease.domain, "lab")
        self.assertEqual(lease.lease_time, 600)
        self.assertEqual(lease.server_id, ROUTER)

    def server_lease(self, server, mac):
        found = [l for l in server.leases() if l["mac"] == mac]
        return found[0] if found else None

    def exercise(self, kind):
        with Lab() as lab:
            server = start_dnsmasq(lab)
            ns = lab.client("c1")
            client = CLIENTS[kind](ns, hostname=f"{kind}-host")

            lease = client.acquire(keep_running=True)
            self.check_lease(server, lease)
            self.assertTrue(client.running())
            self.assertIn(f"{lease.ip}/24", ns.addresses("eth0"))
            held = wait_until(lambda: self.server_lease(server, ns.mac), 5,
                              "dnsmasq to record the lease")
            self.assertEqual(held["ip"], lease.ip)
            self.assertEqual(held["hostname"], f"{kind}-host")

            renewed = client.renew()
            self.assertEqual(renewed.ip, lease.ip)
            self.assertGreater(renewed.t, lease.t)
            self.check_lease(server, renewed)

            client.release()
            self.assertFalse(client.running())
            wait_until(lambda: self.server_lease(server, ns.mac) is None, 5,
                       "dnsmasq to drop the released lease")
            self.assertIn(f"DHCPRELEASE(br0) {lease.ip} {ns.mac}", server.process.log_text())

    def test_udhcpc(self):
        self.exercise("udhcpc")

    def test_dhclient(self):
        self.exercise("dhclient")

    def test_dhcpcd(self):
        self.exercise("dhcpcd")

    def test_one_shot_clients_share_the_bridge(self):
        with Lab() as lab:
            server = start_dnsmasq(lab)
            clients = [CLIENTS[kind](lab.client(f"os-{kind}")) for kind in CLIENTS]
            leases = [c.acquire(keep_running=False) for c in clients]
            for c, lease in zip(clients, leases):
                self.check_lease(server, lease)
                self.assertFalse(c.running(), f"{c.kind} still running after a one-shot lease")
            self.assertEqual(len({l.ip for l in leases}), 3, "addresses must differ")
            self.assertEqual({l["mac"] for l in server.leases()}, {c.ns.mac for c in clients})
            # From a stopped client, renew() asks for the same address again.
            for c, lease in zip(clients, leases):
                self.assertEqual(c.renew().ip, lease.ip, c.kind)

    def test_clients_attached_after_the_bridge_appears(self):
        with Lab() as lab:
            early = lab.client("early")  # no bridge yet: stays detached
            self.assertIsNone(early.bridge)
            server = start_dnsmasq(lab)  # creates br0, then attach_all()
            self.assertEqual(early.bridge, "br0")
            self.check_lease(server, CLIENTS["udhcpc"](early).acquire(keep_running=False))


class RawFrames(unittest.TestCase):
    def test_server_answers_after_malformed_frames(self):
        from scapy.layers.dhcp import BOOTP, DHCP
        from scapy.layers.inet import IP, UDP
        from scapy.layers.l2 import Ether

        with Lab() as lab:
            start_dnsmasq(lab)
            ns = lab.client("raw")
            mac = ns.mac
            chaddr = bytes.fromhex(mac.replace(":", "")) + bytes(10)
            discover = (Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") /
                        IP(src="0.0.0.0", dst="255.255.255.255") / UDP(sport=68, dport=67) /
                        BOOTP(op=1, chaddr=chaddr, xid=0x5EED1234, flags=0x8000) /
                        DHCP(options=[("message-type", "discover"), "end"]))
            valid = bytes(discover)
            malformed = [
                valid[:14 + 20 + 8 + 10],                    # BOOTP header cut short
                valid[:14 + 20 + 8 + 236] + b"\x63\x82\x53",  # truncated magic cookie
                valid[:-1] + b"\x35\xff",                    # option length past the end
            ]
            replies = send_raw_frames(ns, "eth0", malformed + [valid], capture_seconds=5,
                                      max_frames=1)
            self.assertEqual(len(replies), 1, "no DHCPOFFER captured")
            offer = Ether(replies[0])
            self.assertEqual(offer[BOOTP].op, 2)
            self.assertEqual(offer[BOOTP].xid, 0x5EED1234)
            options = {o[0]: o[1] for o in offer[DHCP].options if isinstance(o, tuple)}
            self.assertEqual(options["message-type"], 2)  # DHCPOFFER
            self.assertIn(ipaddress.IPv4Address(offer[BOOTP].yiaddr),
                          ipaddress.IPv4Network("198.18.0.0/24"))


class Teardown(unittest.TestCase):
    def test_close_stops_processes_and_removes_namespaces(self):
        with Lab() as lab:
            server = start_dnsmasq(lab)
            client = CLIENTS["udhcpc"](lab.client("t1"))
            client.acquire(keep_running=True)
            pids = [server.process.pid, client.process.pid]
            names = [ns.name for ns in lab._namespaces]
            tmp = lab.tmp
            self.assertTrue(all(pid_alive(p) for p in pids))
        self.assertFalse([p for p in pids if pid_alive(p)])
        self.assertFalse(set(names) & set(netlab.leftover_namespaces()))
        self.assertFalse(tmp.exists())

    def test_errors_are_collected_and_the_rest_still_torn_down(self):
        lab = Lab()
        lab.__enter__()
        c1 = lab.client("gone")
        c2 = lab.client("kept")
        p = c2.spawn(["sleep", "30"])
        netlab.run([netlab.IP, "netns", "del", c1.name])  # pulled from under the lab
        with self.assertRaises(TeardownError) as caught:
            lab.close()
        self.assertEqual(len(caught.exception.errors), 1)
        self.assertIn(c1.name, caught.exception.errors[0])
        self.assertFalse(p.alive())
        self.assertFalse({c2.name, lab.host().name} & set(netlab.leftover_namespaces()))
        self.assertFalse(lab.tmp.exists())
        lab.close()  # idempotent

    def test_sigterm_tears_the_lab_down(self):
        script = (
            "import json, sys, time\n"
            f"sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})\n"
            "import netlab\n"
            "with netlab.Lab() as lab:\n"
            "    server = netlab.start_dnsmasq(lab)\n"
            "    client = netlab.Udhcpc(lab.client('sig'))\n"
            "    client.acquire(keep_running=True)\n"
            "    print(json.dumps({'id': lab.id, 'tmp': str(lab.tmp),\n"
            "                      'pids': [server.process.pid, client.process.pid]}), flush=True)\n"
            "    time.sleep(60)\n")
        child = subprocess.Popen([netlab.PYTHON, "-c", script], stdout=subprocess.PIPE, text=True)
        try:
            info = json.loads(child.stdout.readline() or "{}")
            self.assertTrue(info, "child lab did not come up")
            child.send_signal(signal.SIGTERM)
            self.assertEqual(child.wait(30), 128 + signal.SIGTERM)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait(10)
            child.stdout.close()
        self.assertFalse([p for p in info["pids"] if pid_alive(p)])
        self.assertFalse([n for n in netlab.leftover_namespaces() if n.startswith(info["id"] + "-")])
        self.assertFalse(Path(info["tmp"]).exists())


class BerthdConfig(unittest.TestCase):
    def test_generated_config_reads_back(self):
        text = berthd_config("/tmp/x/berth.db", [
            BridgeConfig(),
            BridgeConfig(name="br1", address="198.19.0.1/16", pool=("198.19.1.0", "198.19.2.255"),
                         lease_time=120, domain="two", extra="mtu = 1400")])
        doc = tomllib.loads(text)
        self.assertEqual(doc["daemon"], {"database": "/tmp/x/berth.db", "log_level": "debug"})
        self.assertEqual(doc["bridge"][0], {"name": "br0", "address": "198.18.0.1/24",
                                            "pool": "198.18.0.10-198.18.0.200",
                                            "lease_time": 600, "domain": "lab"})
        self.assertEqual(doc["bridge"][1]["pool"], "198.19.1.0-198.19.2.255")
        self.assertEqual(doc["bridge"][1]["mtu"], 1400)

    def test_addresses_outside_the_lab_range_are_refused(self):
        with self.assertRaises(LabError):
            berthd_config("/tmp/db", [BridgeConfig(address="10.0.3.1/24")])
        with self.assertRaises(LabError):
            BridgeConfig(pool=("198.18.0.10", "192.0.2.1")).validate()


if __name__ == "__main__":
    unittest.main(verbosity=2)
