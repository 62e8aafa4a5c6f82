#!/usr/bin/python3
"""Configured DHCP options reach real clients (issue 14): classless routes
(121/249) with the default route kept, the search list (119), an option
given to one reservation only (from the file, and through berthctl at run
time), a class matched on the vendor class (60)
with its own option, and a pool that serves only that class.

One lab per test (netlab: namespaces, veths, 198.18.0.0/15 only), torn down
also on failure."""

import re
import shutil
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import netlab  # noqa: E402
from netlab import BridgeConfig, Lab, start_berthd  # noqa: E402

ROUTER = "198.18.0.1"
ROUTE = "10.8.0.0/16"
ROUTE_GW = "198.18.0.254"
CLASS_POOL = ("198.18.0.200", "198.18.0.209")

OPTIONS = f"""routes = ["{ROUTE} via {ROUTE_GW}"]
search = ["lab", "corp.example"]
ntp_servers = ["{ROUTER}"]

[[bridge.class]]
name = "pxe"
vendor_class = "PXEClient"

[[bridge.class.option]]
code = 225
type = "string"
value = "class-opt"
"""


def config(lab, reserved_mac):
    text = netlab.berthd_config(lab.subdir("state") / "berth.db",
                                [BridgeConfig(extra=OPTIONS)])
    pools = (f'pool = ["198.18.0.10-198.18.0.99", '
             f'{{ range = "{CLASS_POOL[0]}-{CLASS_POOL[1]}", class = "pxe" }}]')
    text = re.sub(r'^pool = .*$', pools, text, count=1, flags=re.M)
    return text + f"""
[[bridge.reservation]]
mac = "{reserved_mac}"
ip = "198.18.0.50"

[[bridge.reservation.option]]
code = 224
type = "string"
value = "only-for-c1"
"""


def setUpModule():
    netlab.require_root()
    for tool in (netlab.BUSYBOX, netlab.DHCLIENT, netlab.DHCPCD):
        if not shutil.which(tool):
            raise unittest.SkipTest(f"{tool} is not installed")
    if netlab.berthd_path() is None:
        raise unittest.SkipTest("no berthd binary ($BERTHD)")


def routes(ns):
    out = ns.ip("-4", "route", "show", "dev", ns.ifname).stdout
    return [" ".join(line.split()) for line in out.splitlines()]


def in_range(ip, first, last):
    key = lambda a: tuple(int(x) for x in a.split("."))
    return key(first) <= key(ip) <= key(last)


class Options(unittest.TestCase):
    def check_routes(self, ns):
        got = routes(ns)
        self.assertTrue(any(r.startswith(f"{ROUTE} via {ROUTE_GW}") for r in got), got)
        self.assertTrue(any(r.startswith(f"default via {ROUTER}") for r in got), got)

    def test_udhcpc_routes_search_reservation_option_class_option_and_class_pool(self):
        with Lab() as lab:
            c1, c2, c3 = lab.client("c1"), lab.client("c2"), lab.client("c3")
            server = start_berthd(lab, config(lab, c1.mac))
            ask = ["-O", "staticroutes", "-O", "search", "-O", "224", "-O", "225"]
            reserved = netlab.Udhcpc(c1, extra_args=ask)
            lease = reserved.acquire(keep_running=False)
            env = reserved.events()[-1]["env"]
            self.assertEqual(lease.ip, "198.18.0.50")
            self.assertEqual(env.get("search", "").split(), ["lab", "corp.example"])
            self.assertEqual(env.get("staticroutes", "").split(),
                             [ROUTE, ROUTE_GW, "0.0.0.0/0", ROUTER])
            self.check_routes(c1)
            # Option 224 belongs to c1's reservation; 225 to the class it is not in.
            self.assertEqual(bytes.fromhex(env.get("opt224", "")), b"only-for-c1", env)
            self.assertNotIn("opt225", env)

            plain = netlab.Udhcpc(c2, extra_args=ask)
            lease2 = plain.acquire(keep_running=False)
            env2 = plain.events()[-1]["env"]
            self.assertNotIn("opt224", env2)
            self.assertNotIn("opt225", env2)
            self.assertTrue(in_range(lease2.ip, "198.18.0.10", "198.18.0.99"), lease2.ip)

            pxe = netlab.Udhcpc(c3, extra_args=ask + ["-V", "PXEClient:Arch:00000"])
            lease3 = pxe.acquire(keep_running=False)
            env3 = pxe.events()[-1]["env"]
            self.assertEqual(bytes.fromhex(env3.get("opt225", "")), b"class-opt", env3)
            self.assertNotIn("opt224", env3)
            self.assertTrue(in_range(lease3.ip, *CLASS_POOL), lease3.ip)
            server.process.wait_for_log(rf"DHCPACK\(br0\) {lease3.ip} {c3.mac}", 5)

    def test_api_reservation_option_reaches_only_that_client_and_changes_at_run_time(self):
        with Lab() as lab:
            c1, c2 = lab.client("c1"), lab.client("c2")
            server = start_berthd(lab, config(lab, "02:00:00:00:00:99"))
            if netlab.berthctl_path() is None:
                self.skipTest("no berthctl binary ($BERTHCTL)")
            added = server.ctl("reservation", "add", "--bridge", "br0", "--mac", c2.mac,
                               "--ip", "198.18.0.60", "--option", "226:string:api-opt",
                               json_out=True)["reservation"]
            self.assertEqual(added["options"], ["226:string:api-opt"])
            ask = ["-O", "226"]
            reserved = netlab.Udhcpc(c2, extra_args=ask)
            lease = reserved.acquire(keep_running=False)
            env = reserved.events()[-1]["env"]
            self.assertEqual(lease.ip, "198.18.0.60")
            self.assertEqual(bytes.fromhex(env.get("opt226", "")), b"api-opt", env)
            other = netlab.Udhcpc(c1, extra_args=ask)
            other.acquire(keep_running=False)
            self.assertNotIn("opt226", other.events()[-1]["env"])

            # Replaced at run time, no reload; force: sent although not asked for.
            server.ctl("reservation", "set", str(added["id"]), "--option",
                       "force:227:string:changed")
            again = netlab.Udhcpc(c2)
            again.acquire(keep_running=False)
            env = again.events()[-1]["env"]
            self.assertEqual(bytes.fromhex(env.get("opt227", "")), b"changed", env)
            self.assertNotIn("opt226", env)
            # A bad option is refused and changes nothing.
            bad = server.ctl("reservation", "set", str(added["id"]), "--option", "53:u8:1",
                             check=False)
            self.assertNotEqual(bad.returncode, 0)
            self.assertIn("53", bad.stderr)
            listed = server.ctl("reservation", "list", json_out=True)["reservations"]
            mine = [r for r in listed if r.get("id") == added["id"]]
            self.assertEqual(mine[0]["options"], ["force:227:string:changed"])

    def test_dhclient_installs_routes_and_gets_the_search_list(self):
        with Lab() as lab:
            ns = lab.client("d1")
            start_berthd(lab, config(lab, "02:00:00:00:00:01"))
            client = netlab.Dhclient(ns)
            client.conf.write_text("\n".join([
                "option rfc3442-classless-static-routes code 121 = array of unsigned integer 8;",
                "request subnet-mask, broadcast-address, routers, domain-name,",
                "        domain-name-servers, domain-search, rfc3442-classless-static-routes;",
                "timeout 20;", "retry 1;", "initial-interval 1;", ""]))
            client.acquire(keep_running=False)
            env = client.events()[-1]["env"]
            self.assertEqual(env.get("new_domain_search", "").split(), ["lab.", "corp.example."])
            self.assertEqual(env.get("new_routers"), ROUTER)
            self.check_routes(ns)

    def test_dhcpcd_installs_routes_and_gets_the_search_list(self):
        with Lab() as lab:
            ns = lab.client("p1")
            start_berthd(lab, config(lab, "02:00:00:00:00:01"))
            client = netlab.Dhcpcd(ns)
            text = client.conf.read_text().replace(
                "routers", "routers, classless_static_routes, domain_search")
            client.conf.write_text(text)
            client.acquire(keep_running=True)
            env = client.events()[-1]["env"]
            self.assertEqual(env.get("new_domain_search", "").split(), ["lab", "corp.example"])
            netlab.wait_until(lambda: any(r.startswith(f"{ROUTE} via") for r in routes(ns)), 5,
                              "dhcpcd to install the classless route")
            self.check_routes(ns)
            client.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
