#!/usr/bin/python3
"""The host resolves container names, and firewalld lets bridges forward
(issue 13), against fake systemd-resolved and firewalld services on a
private dbus-daemon that berthd reaches through DBUS_SYSTEM_BUS_ADDRESS.

- after start, resolved gets SetLinkDNS (IPv4 and IPv6 bridge addresses),
  SetLinkDomains (~domain, the in-addr.arpa and ip6.arpa zones) and
  SetLinkDefaultRoute(false) for the bridge's ifindex;
- a bridge added by a SIGHUP reload is registered too;
- resolved killed and started again: both bridges registered again;
- SIGTERM: RevertLink for each bridge;
- firewalld: a bridge in no zone is added to "trusted" at start, again after
  a firewalld reload, and removed at stop; a bridge already in another zone is
  left there (and not removed);
- [daemon] resolved = false: nothing is sent to resolved (firewalld still is);
- no bus at all: berthd serves, and says so once.
"""

import json
import shutil
import signal
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import netlab  # noqa: E402
from netlab import BridgeConfig, Lab, start_berthd, wait_until  # noqa: E402

HERE = Path(__file__).resolve().parent
PYTHON = "/usr/bin/python3"
DBUS_DAEMON = shutil.which("dbus-daemon") or "/usr/bin/dbus-daemon"
AF_INET, AF_INET6 = 2, 10

BR0 = BridgeConfig(extra='ipv6 = "fd00:b3:0:1::1/64"\nipv6_mode = "slaac"\n')
BR1 = BridgeConfig(name="br1", address="198.19.4.1/23", pool=("198.19.4.10", "198.19.4.100"),
                   domain="second.lab")

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
"""


def setUpModule():
    netlab.require_root()
    if netlab.berthd_path() is None:
        raise unittest.SkipTest("no berthd binary ($BERTHD)")
    if not Path(DBUS_DAEMON).exists():
        raise unittest.SkipTest("dbus-daemon is not installed")
    try:
        import dbus  # noqa: F401
        from gi.repository import GLib  # noqa: F401
    except ImportError as e:
        raise unittest.SkipTest(f"python3-dbus or python3-gi missing: {e}")


class Bus:
    """A private dbus-daemon in the lab's host namespace, and fake services on it."""

    def __init__(self, lab):
        self.lab = lab
        self.dir = lab.subdir(f"dbus-{lab.seq()}")
        socket = self.dir / "bus.sock"
        conf = self.dir / "bus.conf"
        conf.write_text(BUS_CONFIG.format(socket=socket))
        self.address = f"unix:path={socket}"
        self.daemon = lab.host().spawn([DBUS_DAEMON, f"--config-file={conf}", "--nofork",
                                        "--print-address"], log=self.dir / "dbus-daemon.log")
        wait_until(lambda: socket.exists(), 5, "dbus-daemon's socket")

    def fake(self, service, record, *extra):
        proc = self.lab.host().spawn(
            [PYTHON, str(HERE / "fake_host_dbus.py"), "--bus", self.address, "--service",
             service, "--record", str(record), *extra],
            log=self.dir / f"{service}-{self.lab.seq()}.log")
        proc.wait_for_log("ready", 10, f"fake {service}")
        return proc


def calls(path, method=None):
    try:
        lines = Path(path).read_text().splitlines()
    except FileNotFoundError:
        return []
    out = [json.loads(line) for line in lines if line.strip()]
    return [c for c in out if method is None or c["method"] == method]


def ifindex(lab, name):
    return lab.host().link(name)["ifindex"]


def wait_for_call(path, method, args, timeout=10.0):
    wait_until(lambda: any(c["args"] == args for c in calls(path, method)), timeout,
               f"{method}{args} in {path}")


def expect_registered(path, index, v4, domains, v6=None):
    servers = [[AF_INET, v4]] + ([[AF_INET6, v6]] if v6 else [])
    wait_for_call(path, "SetLinkDNS", [index, servers])
    wait_for_call(path, "SetLinkDomains", [index, [[d, True] for d in domains]])
    wait_for_call(path, "SetLinkDefaultRoute", [index, False])


BR0_V6 = [0xfd, 0, 0, 0xb3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]
BR0_DOMAINS = ["lab", "0.18.198.in-addr.arpa", "1.0.0.0.0.0.0.0.3.b.0.0.0.0.d.f.ip6.arpa"]
BR1_DOMAINS = ["second.lab", "4.19.198.in-addr.arpa", "5.19.198.in-addr.arpa"]


class HostDbus(unittest.TestCase):
    def test_resolved_registration_follows_start_reload_restart_and_stop(self):
        with Lab() as lab:
            bus = Bus(lab)
            first = lab.path("resolved-1.jsonl")
            resolved = bus.fake("resolved", first)
            server = start_berthd(lab, bridges=[BR0], env={"DBUS_SYSTEM_BUS_ADDRESS": bus.address})
            br0 = ifindex(lab, "br0")
            expect_registered(first, br0, [198, 18, 0, 1], BR0_DOMAINS, BR0_V6)
            self.assertEqual(calls(first, "SetLinkDNSEx"), [])

            # A bridge added by a reload.
            server.config_path.write_text(_with_bridges(server, [BR0, BR1]))
            server.process.signal(signal.SIGHUP)
            server.process.wait_for_log(r"configuration reloaded", 10)
            br1 = ifindex(lab, "br1")
            expect_registered(first, br1, [198, 19, 4, 1], BR1_DOMAINS)

            # resolved restarts: a new instance hears of both bridges.
            resolved.terminate()
            second = lab.path("resolved-2.jsonl")
            bus.fake("resolved", second)
            expect_registered(second, br0, [198, 18, 0, 1], BR0_DOMAINS, BR0_V6)
            expect_registered(second, br1, [198, 19, 4, 1], BR1_DOMAINS)

            self.assertEqual(server.stop(), 0)
            reverted = sorted(c["args"][0] for c in calls(second, "RevertLink"))
            self.assertEqual(reverted, sorted([br0, br1]))
            log = server.process.log_text()
            self.assertIn("systemd-resolved is on the system bus", log)

    def test_firewalld_trusted_zone_added_readded_after_reload_and_removed(self):
        with Lab() as lab:
            bus = Bus(lab)
            record = lab.path("firewalld.jsonl")
            firewalld = bus.fake("firewalld", record, "--zone", "br1=public")
            server = start_berthd(lab, bridges=[BR0, BR1],
                                  env={"DBUS_SYSTEM_BUS_ADDRESS": bus.address})
            wait_for_call(record, "addInterface", ["trusted", "br0"])
            wait_for_call(record, "getZoneOfInterface", ["br1"])
            server.process.wait_for_log(r"br1 is in zone public already", 5)
            # berthctl firewall show names both, beside the nftables findings.
            shown = [f for f in server.ctl("firewall", "show", json_out=True)["foreign"]
                     if f["table"] == "firewalld"]
            self.assertEqual(len(shown), 2, shown)
            self.assertTrue(any("br0" in f["finding"] and "trusted" in f["finding"]
                                for f in shown), shown)
            self.assertTrue(any("br1" in f["finding"] and "public" in f["finding"]
                                for f in shown), shown)

            firewalld.signal(signal.SIGUSR1)  # firewall-cmd --reload: runtime bindings gone
            wait_until(lambda: len([c for c in calls(record, "addInterface")
                                    if c["args"] == ["trusted", "br0"]]) == 2, 10,
                       "br0 added to trusted again after the reload")

            self.assertEqual(server.stop(), 0)
            removed = [c["args"] for c in calls(record, "removeInterface")]
            self.assertEqual(removed, [["trusted", "br0"]])  # br1 was not berth's to remove
            self.assertFalse(any(c["args"][1] == "br1" for c in calls(record, "addInterface")))

    def test_resolved_false_sends_nothing_to_resolved(self):
        with Lab() as lab:
            bus = Bus(lab)
            resolved_calls = lab.path("resolved.jsonl")
            firewalld_calls = lab.path("firewalld.jsonl")
            bus.fake("resolved", resolved_calls)
            bus.fake("firewalld", firewalld_calls)
            config = netlab.berthd_config("@DATABASE@", [BR0], extra="resolved = false")
            server = start_berthd(lab, config, bridges=[BR0],
                                  env={"DBUS_SYSTEM_BUS_ADDRESS": bus.address})
            # firewalld still hears of the bridge: by then berthd has had its turn.
            wait_for_call(firewalld_calls, "addInterface", ["trusted", "br0"])
            self.assertEqual(server.stop(), 0)
            self.assertEqual(calls(resolved_calls), [])

    def test_no_bus_is_one_info_line(self):
        with Lab() as lab:
            missing = lab.path("no-such-bus.sock")
            server = start_berthd(lab, bridges=[BR0],
                                  env={"DBUS_SYSTEM_BUS_ADDRESS": f"unix:path={missing}"})
            server.process.wait_for_log(r"host D-Bus: no system bus", 5)
            self.assertEqual(server.stop(), 0)
            self.assertEqual(server.process.log_text().count("no system bus"), 1)


def _with_bridges(server, bridges):
    """The running config file with its [[bridge]] tables replaced by `bridges`."""
    text = server.config_path.read_text()
    head = text.split("\n[[bridge]]", 1)[0]
    tail = ""
    if "\n[dns]" in text:
        tail = "\n[dns]" + text.split("\n[dns]", 1)[1]
    generated = netlab.berthd_config(server.db_path, bridges)
    bridge_part = "\n[[bridge]]" + generated.split("\n[[bridge]]", 1)[1]
    return head + bridge_part + tail


if __name__ == "__main__":
    unittest.main(verbosity=2)
