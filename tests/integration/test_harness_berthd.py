#!/usr/bin/python3
"""The harness's berthd path: start_berthd() and the lease database reader.

berthd (from $BERTHD) creates its bridge over netlink in the lab's host
namespace and says "serving"; clients made before that are attached then;
each real client gets a lease that the database records, and a release
shows up there too. Skipped without root or without a berthd binary.
"""

import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import netlab  # noqa: E402
from netlab import CLIENTS, Lab, start_berthd, wait_until  # noqa: E402


def setUpModule():
    netlab.require_root()
    if netlab.berthd_path() is None:
        raise unittest.SkipTest("no berthd binary ($BERTHD)")


class BerthdThroughTheHarness(unittest.TestCase):
    def test_bridge_leases_and_database(self):
        with Lab() as lab:
            early = lab.client("early")  # before the bridge exists
            server = start_berthd(lab)
            host = lab.host()
            link = host.link("br0")
            self.assertEqual(link.get("linkinfo", {}).get("info_kind"), "bridge")
            self.assertIn("UP", link["flags"])
            self.assertIn("198.18.0.1/24", host.addresses("br0"))
            self.assertEqual(early.bridge, "br0")

            def db_row(mac):
                rows = [r for r in server.leases() if r["mac"] == mac]
                return rows[0] if rows else None

            for kind in CLIENTS:
                ns = early if kind == "udhcpc" else lab.client(kind)
                client = CLIENTS[kind](ns, hostname=f"{kind}-host")
                lease = client.acquire(keep_running=True)
                self.assertTrue(server.in_pool(lease.ip), lease)
                self.assertEqual((lease.mask, lease.routers, lease.dns, lease.domain),
                                 ("255.255.255.0", ["198.18.0.1"], ["198.18.0.1"], "lab"))
                self.assertEqual(lease.lease_time, 600)
                row = wait_until(lambda: db_row(ns.mac), 5, f"{kind}'s lease in the database")
                self.assertEqual((row["bridge"], row["ip"], row["hostname"], row["state"]),
                                 ("br0", lease.ip, f"{kind}-host", "bound"))
                self.assertEqual(client.renew().ip, lease.ip, kind)
                client.release()
                wait_until(lambda: (db_row(ns.mac) or {}).get("state") == "released", 5,
                           f"{kind}'s release in the database")
            self.assertTrue(server.process.alive())


if __name__ == "__main__":
    unittest.main(verbosity=2)
