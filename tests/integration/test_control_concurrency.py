#!/usr/bin/python3
"""50 API clients add, change and remove reservations at once while perfdhcp
loads berthd with DHCP (issue 5): no error, no lost update, and afterwards
the database and the API agree on every reservation."""

import shutil
import sqlite3
import sys
import threading
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import netlab  # noqa: E402
from netlab import BridgeConfig, ControlClient, Lab, start_berthd  # noqa: E402

PERFDHCP = shutil.which("perfdhcp") or "/usr/sbin/perfdhcp"
CLIENTS = 50
ROUNDS = 4


def setUpModule():
    netlab.require_root()
    if netlab.berthd_path() is None:
        raise unittest.SkipTest("no berthd binary ($BERTHD)")


class Concurrency(unittest.TestCase):
    def test_fifty_api_clients_under_dhcp_load(self):
        if not Path(PERFDHCP).exists():
            self.skipTest("perfdhcp is not installed")
        bridge = BridgeConfig(address="198.18.0.1/16", pool=("198.18.100.0", "198.18.199.254"))
        with Lab() as lab:
            perf = lab.client("perf")
            server = start_berthd(lab, bridges=[bridge], log_level="info")
            perf.ip("addr", "add", "198.18.0.2/16", "dev", perf.ifname)
            load = perf.spawn([PERFDHCP, "-4", "-l", perf.ifname, "-r", "300", "-R", "5000",
                               "-p", "12", "198.18.0.1"], log=lab.path("perfdhcp.log"))
            errors, final = [], {}
            lock = threading.Lock()

            def worker(i):
                c = ControlClient(server.socket_path)
                try:
                    for rnd in range(ROUNDS):
                        mac = f"02:cc:00:00:{i:02x}:{rnd:02x}"
                        ip = f"198.18.{10 + rnd}.{i + 1}"
                        st, body = c.request("POST", "/v1/reservations", {
                            "bridge": bridge.name, "mac": mac, "ip": ip, "name": f"r{i}x{rnd}"})
                        if st != 201:
                            raise AssertionError(f"POST {mac}: {st} {body}")
                        rid = body["reservation"]["id"]
                        st, body = c.request("PATCH", f"/v1/reservations/{rid}",
                                             {"name": f"n{i}x{rnd}"})
                        if st != 200 or body["reservation"]["name"] != f"n{i}x{rnd}":
                            raise AssertionError(f"PATCH {rid}: {st} {body}")
                        if rnd % 2 == 0:
                            st, body = c.request("DELETE", f"/v1/reservations/{rid}")
                            if st != 200:
                                raise AssertionError(f"DELETE {rid}: {st} {body}")
                        else:
                            with lock:
                                final[rid] = (mac, ip, f"n{i}x{rnd}")
                except Exception as e:  # noqa: BLE001 - reported below
                    with lock:
                        errors.append(f"client {i}: {e}")
                finally:
                    c.close()

            threads = [threading.Thread(target=worker, args=(i,)) for i in range(CLIENTS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            self.assertFalse(any(t.is_alive() for t in threads), "an API client hung")
            self.assertEqual(errors, [])
            load.wait(30)
            self.assertTrue(server.process.alive())

            c = ControlClient(server.socket_path)
            st, body = c.request("GET", "/v1/reservations")
            c.close()
            self.assertEqual(st, 200)
            api = {r["id"]: (r["mac"], r["ip"], r["name"]) for r in body["reservations"]}
            with sqlite3.connect(server.db_path) as db:
                rows = db.execute("SELECT id, match_value, ip, name FROM reservations").fetchall()
            database = {r[0]: (r[1], r[2], r[3]) for r in rows}
            self.assertEqual(len(final), CLIENTS * ROUNDS // 2)
            self.assertEqual(api, final)
            self.assertEqual(database, final)
            rate_line = [l for l in load.log_text().splitlines() if l.startswith("Rate:")]
            self.assertTrue(rate_line, "perfdhcp reported no rate: " + load.log_tail())


if __name__ == "__main__":
    unittest.main(verbosity=2)
