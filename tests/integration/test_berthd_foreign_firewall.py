#!/usr/bin/python3
"""berthd beside Docker (issue 13). An accept in table inet berth cannot
overrule a drop in another table: with Docker's iptables-nft ruleset
(table ip filter, chain FORWARD with policy drop jumping to DOCKER-USER),
containers on a berth bridge get an address and cannot get out. The lab's
host namespace gets such a ruleset before berthd starts:

- a client on the NAT bridge reaches a TCP server and pings an address in an
  "uplink" namespace; `berthctl firewall show --json` names the drop and the
  action; DOCKER-USER holds berth's two rules (and iptables-nft still lists
  the chain when it is installed); a reload adds no duplicates;
- when berthd stops (without keep_rules) berth's rules are gone from
  DOCKER-USER and table ip filter lists as it did before berthd started;
- Docker's ruleset loaded while berthd runs: traffic flows within a check
  (2 s) of berthd's;
- with [firewall] foreign = false the client cannot get out, show reports
  the finding with action "none (foreign = false)" and table ip filter is
  untouched.

nft only ever runs inside the lab's host namespace.
"""

import re
import shutil
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import netlab  # noqa: E402
from netlab import BridgeConfig, Lab, start_berthd, wait_until  # noqa: E402
from test_companion import ECHO_PORT, NFT, UPLINK_PEER, ask, ping, uplink  # noqa: E402

IPTABLES_NFT = shutil.which("iptables-nft")

# What Docker's iptables-nft leaves that matters here, written for nft -f.
DOCKER_RULESET = """
table ip filter {
    chain DOCKER-USER {
        counter return
    }
    chain FORWARD {
        type filter hook forward priority 0; policy drop;
        counter jump DOCKER-USER
    }
}
"""

NAT_BRIDGE = [BridgeConfig(extra="nat = true")]
FOREIGN = {"table": "ip filter", "chain": "FORWARD", "finding": "policy drop"}


def setUpModule():
    netlab.require_root()
    if netlab.berthd_path() is None or netlab.berthctl_path() is None:
        raise unittest.SkipTest("no berthd or berthctl binary ($BERTHD, $BERTHCTL)")
    if not Path(NFT).exists():
        raise unittest.SkipTest("no nft binary to build Docker's ruleset")


def load_docker_ruleset(host):
    host.run([NFT, "-f", "-"], input=DOCKER_RULESET.encode())


def ip_filter(host) -> str:
    """`nft list table ip filter` without counter values."""
    text = host.run([NFT, "list", "table", "ip", "filter"]).stdout
    return re.sub(r"counter packets \d+ bytes \d+", "counter", text)


def berth_rules(host) -> list:
    """The rules of DOCKER-USER commented "berth", counters left out."""
    text = host.run([NFT, "list", "chain", "ip", "filter", "DOCKER-USER"]).stdout
    return [re.sub(r" counter packets \d+ bytes \d+", "", line.strip())
            for line in text.splitlines() if 'comment "berth"' in line]


def gets_out(ns) -> bool:
    return ask(ns, "tcp", UPLINK_PEER, ECHO_PORT, timeout=1.0) is not None


class BesideDocker(unittest.TestCase):
    def test_client_gets_out_and_rules_go_with_berthd(self):
        with Lab() as lab:
            uplink(lab)
            host = lab.host()
            load_docker_ruleset(host)
            before = ip_filter(host)
            ct = lab.client("dk")
            server = start_berthd(lab, bridges=NAT_BRIDGE)
            netlab.Udhcpc(ct).acquire()

            got = ask(ct, "tcp", UPLINK_PEER, ECHO_PORT)
            self.assertIsNotNone(got, "TCP from the container to the uplink got no answer "
                                 "through Docker's FORWARD drop")
            self.assertTrue(ping(ct, UPLINK_PEER), "ping from the container got no answer")

            fw = server.ctl("firewall", "show", json_out=True)
            self.assertTrue(fw["in_sync"], fw)
            self.assertIn(dict(FOREIGN, action="accept rules for br0 in DOCKER-USER"),
                          fw["foreign"])
            text = server.ctl("firewall", "show").stdout
            self.assertIn("ip filter chain FORWARD: policy drop; accept rules for br0 in "
                          "DOCKER-USER", text)

            rules = berth_rules(host)
            self.assertEqual(len(rules), 2, rules)
            self.assertTrue(any(r.startswith('iifname "br0"') for r in rules), rules)
            self.assertTrue(any(r.startswith('oifname "br0"') for r in rules), rules)
            if IPTABLES_NFT:
                listing = host.run([IPTABLES_NFT, "-L", "DOCKER-USER", "-v", "-n"], check=False)
                self.assertEqual(listing.returncode, 0, listing.stderr)
                self.assertEqual(listing.stdout.count("/* berth */"), 2, listing.stdout)

            # A reload and a check later (every 2 s): the same two rules, no more.
            server.ctl("reload")
            time.sleep(2.5)
            self.assertEqual(berth_rules(host), rules, "no duplicates after a reload")
            self.assertTrue(gets_out(ct))

            server.stop()
            self.assertEqual(server.process.returncode, 0)
            self.assertEqual(berth_rules(host), [], "berth's rules outlived berthd")
            self.assertEqual(ip_filter(host), before, "Docker's chains are otherwise untouched")

    def test_docker_started_after_berthd_is_noticed(self):
        with Lab() as lab:
            uplink(lab)
            host = lab.host()
            ct = lab.client("lt")
            server = start_berthd(lab, bridges=NAT_BRIDGE)
            netlab.Udhcpc(ct).acquire()
            self.assertTrue(gets_out(ct))
            load_docker_ruleset(host)
            wait_until(lambda: len(berth_rules(host)) == 2, 6,
                       "berth's rules in DOCKER-USER after Docker started")
            wait_until(lambda: gets_out(ct), 6, "the container getting out again")
            self.assertTrue(server.process.alive())


class ForeignFalse(unittest.TestCase):
    def test_only_reports(self):
        with Lab() as lab:
            uplink(lab)
            host = lab.host()
            load_docker_ruleset(host)
            before = ip_filter(host)
            ct = lab.client("ff")
            config = netlab.berthd_config("@DATABASE@", NAT_BRIDGE,
                                          extra="[firewall]\nforeign = false")
            server = start_berthd(lab, config, bridges=NAT_BRIDGE)
            netlab.Udhcpc(ct).acquire()

            self.assertIsNone(ask(ct, "tcp", UPLINK_PEER, ECHO_PORT),
                              "Docker's drop should have stopped the container")
            fw = server.ctl("firewall", "show", json_out=True)
            self.assertEqual(fw["foreign"], [dict(FOREIGN, action="none (foreign = false)")])
            self.assertRegex(server.process.log_text(), r"ip filter chain FORWARD has policy drop")
            self.assertEqual(ip_filter(host), before, "foreign = false touches no other table")
            server.stop()
            self.assertEqual(ip_filter(host), before)


if __name__ == "__main__":
    unittest.main(verbosity=2)
