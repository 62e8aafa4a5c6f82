#!/usr/bin/python3
"""The control API and berthctl against a running berthd (issue 5).

- a reservation added with berthctl for a running dhclient's MAC: the client
  is NAKed on its next renewal, comes back to the reserved address, and dig
  answers the reservation's name with it at once;
- forgetting a lease frees its address and its DNS name at once;
- refusals: an address another client holds (409 unless --force), outside
  the subnet (400), an unknown bridge (404); nothing changes;
- reload (berthctl reload and SIGHUP) applies a changed static record and
  lease time; a broken file is refused whole and service continues;
- berthctl says so clearly when berthd is not running.
"""

import json
import shutil
import signal
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import netlab  # noqa: E402
from netlab import BridgeConfig, Lab, start_berthd, wait_until  # noqa: E402

SERVER = "198.18.0.1"
DIG = shutil.which("dig") or "/usr/bin/dig"


def setUpModule():
    netlab.require_root()
    if netlab.berthd_path() is None or netlab.berthctl_path() is None:
        raise unittest.SkipTest("no berthd or berthctl binary ($BERTHD, $BERTHCTL)")


def dig_short(ns, *args):
    r = ns.run([DIG, f"@{SERVER}", "+time=2", "+tries=1", "+short", *args], check=False)
    return r.stdout.split()


def socket_inodes(pid):
    """The inodes of the sockets a process holds open."""
    found = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = fd.readlink()
        except OSError:
            continue
        if str(target).startswith("socket:["):
            found.add(str(target))
    return found


def dig_status(ns, *args):
    r = ns.run([DIG, f"@{SERVER}", "+time=2", "+tries=1", *args], check=False)
    for line in r.stdout.splitlines():
        if "status:" in line:
            return line.split("status:")[1].split(",")[0].strip()
    return None


class Berthctl(unittest.TestCase):
    def test_reservation_moves_a_running_dhclient_and_its_name_at_once(self):
        with Lab() as lab:
            ns = lab.client("web")
            watcher = lab.client("watch")
            server = start_berthd(lab)
            client = netlab.Dhclient(ns)
            dynamic = client.acquire(keep_running=True)
            netlab.Udhcpc(watcher).acquire()
            wait_until(lambda: dynamic.ip in client.lease_file.read_text(), 5,
                       "dhclient to write its lease file")
            reserved = "198.18.0.5"
            t0 = time.monotonic()
            out = server.ctl("reservation", "add", "--bridge", "br0", "--mac", ns.mac,
                             "--ip", reserved, "--name", "web", json_out=True)
            self.assertEqual(out["reservation"]["ip"], reserved)
            self.assertEqual([l["ip"] for l in out["forgotten_leases"]], [dynamic.ip])
            # The name answers at once, before the client has moved.
            wait_until(lambda: dig_short(watcher, "web.lab") == [reserved], 1,
                       "the reservation's name to resolve")
            self.assertLess(time.monotonic() - t0, 2)
            moved = client.renew()
            self.assertEqual(moved.ip, reserved)
            server.process.wait_for_log(rf"DHCPACK\(br0\) {reserved} {ns.mac}", 5)
            self.assertEqual(dig_short(watcher, "web"), [reserved])
            listed = server.ctl("reservation", "list", json_out=True)["reservations"]
            self.assertEqual(len(listed), 1)
            self.assertEqual(listed[0]["mac"], ns.mac)
            self.assertEqual(listed[0]["source"], "api")
            # The database agrees.
            import sqlite3
            with sqlite3.connect(server.db_path) as db:
                rows = db.execute("SELECT match_value, ip, name FROM reservations").fetchall()
            self.assertEqual(rows, [(ns.mac, reserved, "web")])
            # Remove it: the name goes away.
            server.ctl("reservation", "rm", str(listed[0]["id"]))
            wait_until(lambda: dig_status(watcher, "web.lab") in ("NXDOMAIN", "NOERROR") and
                       dig_short(watcher, "web.lab") != [reserved], 2, "the name to go")

    def test_forget_lease_frees_address_and_name(self):
        with Lab() as lab:
            ns = lab.client("gone")
            watcher = lab.client("watch")
            server = start_berthd(lab)
            lease = netlab.Udhcpc(ns, hostname="gone").acquire()
            netlab.Udhcpc(watcher).acquire()
            wait_until(lambda: dig_short(watcher, "gone") == [lease.ip], 2, "the name")
            before = server.ctl("leases", "--bridge", "br0", json_out=True)["leases"]
            self.assertIn(lease.ip, [l["ip"] for l in before])
            out = server.ctl("lease", "forget", "--bridge", "br0", lease.ip, json_out=True)
            self.assertEqual(out["ip"], lease.ip)
            self.assertEqual(dig_status(watcher, "gone.lab"), "NXDOMAIN")
            after = server.ctl("leases", json_out=True)["leases"]
            self.assertNotIn(lease.ip, [l["ip"] for l in after])
            self.assertNotIn(lease.ip, [l["ip"] for l in server.leases()])
            r = server.ctl("lease", "forget", "--bridge", "br0", lease.ip, check=False)
            self.assertEqual(r.returncode, 1)
            self.assertIn("no lease", r.stderr + r.stdout)

    def test_refusals_change_nothing(self):
        with Lab() as lab:
            a = lab.client("a")
            b = lab.client("b")
            server = start_berthd(lab)
            la = netlab.Udhcpc(a).acquire()
            netlab.Udhcpc(b).acquire()
            # Another client holds that address: 409, unless --force.
            r = server.ctl("reservation", "add", "--bridge", "br0", "--mac", b.mac, "--ip",
                           la.ip, check=False)
            self.assertEqual(r.returncode, 1)
            self.assertIn("is leased to " + a.mac, r.stderr + r.stdout)
            # The lease's end as a date in UTC, not an epoch number.
            self.assertRegex(r.stderr + r.stdout, r" until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC;")
            r = server.ctl("reservation", "add", "--bridge", "br0", "--mac", b.mac, "--ip",
                           "198.19.0.9", check=False)
            self.assertEqual(r.returncode, 1)
            self.assertIn("outside", r.stderr + r.stdout)
            r = server.ctl("reservation", "add", "--bridge", "nope0", "--mac", b.mac, "--ip",
                           "198.18.0.7", check=False)
            self.assertEqual(r.returncode, 1)
            self.assertIn("no bridge named nope0", r.stderr + r.stdout)
            r = server.ctl("reservation", "add", "--bridge", "br0", "--mac", "zz", "--ip",
                           "198.18.0.7", check=False)
            self.assertEqual(r.returncode, 2, "a malformed MAC is a usage error")
            self.assertEqual(server.ctl("reservation", "list", json_out=True)["reservations"], [])
            self.assertIn(la.ip, [l["ip"] for l in server.leases() if l["state"] == "bound"])
            # With --force the other client's lease is forgotten.
            out = server.ctl("reservation", "add", "--bridge", "br0", "--mac", b.mac, "--ip",
                             la.ip, "--force", json_out=True)
            self.assertIn(la.ip, [l["ip"] for l in out["forgotten_leases"]])
            # A second reservation for the same MAC: 409.
            r = server.ctl("reservation", "add", "--bridge", "br0", "--mac", b.mac, "--ip",
                           "198.18.0.8", check=False)
            self.assertEqual(r.returncode, 1)
            self.assertIn("already has", r.stderr + r.stdout)
            # Status and metrics.
            st = server.ctl("status", json_out=True)
            self.assertEqual(st["bridges"], 1)
            self.assertEqual(st["reservations"], 1)
            metrics = server.ctl("metrics").stdout
            self.assertIn('berth_leases{bridge="br0",state="bound"}', metrics)
            self.assertIn("berth_dns_queries_total", metrics)
            count = [l for l in metrics.splitlines()
                     if l.startswith("berth_lease_commit_seconds_count ")]
            self.assertEqual(len(count), 1)
            self.assertGreater(int(count[0].split()[1]), 0, "commits were made and timed")

    def test_reload_applies_changes_and_refuses_a_broken_file(self):
        with Lab() as lab:
            ns = lab.client("rl")
            server = start_berthd(lab)
            netlab.Udhcpc(ns).acquire()
            self.assertEqual(dig_status(ns, "db.lab"), "NXDOMAIN")
            original = server.config_path.read_text()
            server.config_path.write_text(
                original + '\n[[dns.host]]\nname = "db.lab"\nip = "198.18.0.250"\n')
            out = server.ctl("reload", json_out=True)
            self.assertEqual(out["bridges"], 1)
            self.assertEqual(dig_short(ns, "db.lab"), ["198.18.0.250"])
            # A broken file: refused whole, with file, line and key; service goes on.
            server.config_path.write_text(original.replace("lease_time", "leas_time"))
            r = server.ctl("reload", check=False)
            self.assertEqual(r.returncode, 1)
            self.assertIn("leas_time", r.stderr + r.stdout)
            self.assertIn("berth.toml:", r.stderr + r.stdout)
            self.assertEqual(dig_short(ns, "db.lab"), ["198.18.0.250"])
            # SIGHUP does the same; here with the static record removed again.
            server.config_path.write_text(original)
            server.process.signal(signal.SIGHUP)
            server.process.wait_for_log("configuration reloaded", 5)
            wait_until(lambda: dig_status(ns, "db.lab") == "NXDOMAIN", 2, "the record to go")
            self.assertTrue(server.process.alive())

    def test_reload_adds_and_removes_a_bridge_while_the_old_one_keeps_renewing(self):
        br0 = BridgeConfig()
        br1 = BridgeConfig(name="br1", address="198.18.1.1/24",
                           pool=("198.18.1.10", "198.18.1.50"), domain="two")
        with Lab() as lab:
            old_ns = lab.client("ro")
            server = start_berthd(lab, bridges=[br0])
            old_client = netlab.Udhcpc(old_ns, hostname="stays")
            lease = old_client.acquire(keep_running=True)
            sockets_before = socket_inodes(server.process.pid)

            # Add br1: br0's clients keep renewing throughout, br0's sockets stay.
            original = server.config_path.read_text()
            server.config_path.write_text(
                original + '\n[[bridge]]\nname = "br1"\naddress = "198.18.1.1/24"\n'
                'pool = "198.18.1.10-198.18.1.50"\ndomain = "two"\n')
            out = server.ctl("reload", json_out=True)
            self.assertEqual(out["bridges_added"], ["br1"])
            self.assertEqual(out["bridges"], 2)
            for _ in range(3):
                self.assertEqual(old_client.renew().ip, lease.ip)
            self.assertEqual(dig_short(old_ns, "stays.lab"), [lease.ip])
            sockets_after = socket_inodes(server.process.pid)
            self.assertLessEqual(sockets_before, sockets_after,
                                 "a socket of the unchanged bridge was closed by the reload")
            self.assertGreater(len(sockets_after), len(sockets_before), "br1 has new sockets")

            new_ns = lab.client("rn", bridge="br1")
            new_client = netlab.Udhcpc(new_ns, hostname="newbie")
            got = new_client.acquire(keep_running=False)
            self.assertTrue(server.in_pool(got.ip, br1), got.ip)
            self.assertEqual(got.routers, ["198.18.1.1"])
            r = new_ns.run([DIG, "@198.18.1.1", "+time=2", "+tries=1", "+short", "newbie.two"],
                           check=False)
            self.assertEqual(r.stdout.split(), [got.ip])

            # Remove br1 again: its clients get no answer, br0 goes on.
            server.config_path.write_text(original)
            out = server.ctl("reload", json_out=True)
            self.assertEqual(out["bridges_removed"], ["br1"])
            self.assertEqual(old_client.renew().ip, lease.ip)
            r = new_ns.run([DIG, "@198.18.1.1", "+time=1", "+tries=1", "newbie.two"], check=False)
            self.assertNotEqual(r.returncode, 0, "DNS on a removed bridge still answers")
            bridges = server.ctl("bridges", json_out=True)["bridges"]
            self.assertEqual([b["name"] for b in bridges], ["br0"])
            # Its leases stay in the database for when it comes back.
            self.assertIn(got.ip, [l["ip"] for l in server.leases()])

            # A new pool for br0: served anew from the database, no lease lost.
            lo, hi = br0.pool
            self.assertIn(f'pool = "{lo}-{hi}"', original)
            server.config_path.write_text(
                original.replace(f'pool = "{lo}-{hi}"', f'pool = "{lo}-198.18.0.240"'))
            out = server.ctl("reload", json_out=True)
            self.assertEqual(out["bridges_changed"], ["br0"])
            self.assertEqual(old_client.renew().ip, lease.ip)
            self.assertEqual(dig_short(old_ns, "stays.lab"), [lease.ip])
            self.assertTrue(server.process.alive())

    def test_containers_keep_their_addresses_when_moving_from_dnsmasq(self):
        with Lab() as lab:
            clients = [lab.client(f"m{i}") for i in range(3)]
            dnsmasq = netlab.start_dnsmasq(lab, BridgeConfig())
            before = {c.mac: netlab.Udhcpc(c, hostname=f"m{i}").acquire(keep_running=False).ip
                      for i, c in enumerate(clients)}
            wait_until(lambda: len(dnsmasq.leases()) == 3, 5, "dnsmasq to write its leases")
            dnsmasq.stop()
            server = start_berthd(lab)
            out = server.ctl("import", "dnsmasq-leases", str(dnsmasq.lease_file), "--bridge",
                             "br0")
            self.assertIn("imported 3 of 3", out.stdout)
            # Importing again adds nothing and is not an error.
            again = server.ctl("import", "dnsmasq-leases", str(dnsmasq.lease_file), "--bridge",
                               "br0")
            self.assertIn("imported 0 of 3", again.stdout)
            self.assertIn("3 already there", again.stdout)
            after = {c.mac: netlab.Udhcpc(c, hostname=f"m{i}").acquire(
                requested=before[c.mac]).ip for i, c in enumerate(clients)}
            self.assertEqual(after, before)
            # Their names came along and resolve at once.
            self.assertEqual(dig_short(clients[0], "m0.lab"), [before[clients[0].mac]])

    def test_berthctl_when_berthd_is_not_running(self):
        with Lab() as lab:
            path = lab.path("none.sock")
            r = netlab.run([str(netlab.berthctl_path()), "--socket", str(path), "status"],
                           check=False)
            self.assertEqual(r.returncode, 1)
            self.assertIn("berthd is not running", r.stderr + r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
