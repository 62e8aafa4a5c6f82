#!/usr/bin/python3
"""[daemon] lease_file: berthd keeps a file in dnsmasq's lease file format,
for readers of dnsmasq's file such as `incus network list-leases`.

- a udhcpc lease appears within 5 s as dnsmasq writes it (EXPIRY MAC IP
  HOSTNAME CLIENT-ID, the expiry the database's), newest first, a client
  without a name as '*'; a DHCPRELEASE takes its line away; the file is
  replaced whole (no NAME.tmp left), mode 0644, and reads back with
  `berthctl import dnsmasq-leases --dry-run` without a problem;
- a reload may move the file: the new path is written at once;
- a write that fails (no directory) is logged once, retried every 10 s
  while DHCP goes on, and the file appears once the directory does;
- a DHCPv6 lease (dhclient -6) comes after a `duid SERVER-DUID` line as
  `EXPIRY IAID IPV6 HOSTNAME CLIENT-DUID`;
- run as [daemon] user in a root-owned directory that holds other files
  (LXD's network directory), the file is the user's and still kept current.

Runs as root only (network namespaces); addresses in 198.18.0.0/15 and
fd00::/8 only; every lab is torn down, also on failure.
"""

import json
import os
import pwd
import re
import shutil
import sqlite3
import stat
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import netlab  # noqa: E402
from netlab import Lab, start_berthd, wait_until  # noqa: E402

LINE4 = re.compile(r"^(\d+) ([0-9a-f]{2}(?::[0-9a-f]{2}){5}) (\d+\.\d+\.\d+\.\d+) (\S+) (\S+)$")
LINE6 = re.compile(r"^(\d+) (\d+) ([0-9a-f:]+) (\S+) (\S+)$")
HEX = r"[0-9a-f]{2}(?::[0-9a-f]{2})*"


def setUpModule():
    netlab.require_root()
    if netlab.berthd_path() is None:
        raise unittest.SkipTest("no berthd binary ($BERTHD)")


def read_lines(path: Path) -> list:
    try:
        return path.read_text().splitlines()
    except FileNotFoundError:
        return []


def line_for(path: Path, ip: str):
    """The file's line for `ip`, split in its five fields, or None."""
    for line in read_lines(path):
        fields = line.split(" ")
        if len(fields) == 5 and fields[2] == ip:
            return fields
    return None


def check_format(test: unittest.TestCase, path: Path):
    """Every line is dnsmasq's: DHCPv4 lines, then at most one duid line
    and DHCPv6 lines after it."""
    after_duid = False
    for line in read_lines(path):
        if line.startswith("duid "):
            test.assertFalse(after_duid, "two duid lines")
            test.assertRegex(line, rf"^duid {HEX}$")
            after_duid = True
        elif after_duid:
            test.assertRegex(line, LINE6)
        else:
            test.assertRegex(line, LINE4)


def db_expiry(db_path: Path, ip: str) -> int:
    with sqlite3.connect(db_path, timeout=10) as conn:
        row = conn.execute("SELECT expires_at FROM leases WHERE ip = ?", (ip,)).fetchone()
        return row[0] if row else -1


def imported(test: unittest.TestCase, path: Path) -> list:
    """The file read by berth's own importer (berthctl import ... --dry-run,
    no daemon contacted): its reservations, after checking there was no problem."""
    ctl = netlab.berthctl_path()
    if ctl is None:
        test.skipTest("no berthctl binary ($BERTHCTL)")
    r = netlab.run([str(ctl), "--json", "import", "dnsmasq-leases", str(path), "--bridge", "br0",
                    "--dry-run"], timeout=10)
    out = json.loads(r.stdout)
    test.assertEqual(out["problems"], [], path.read_text())
    return out["reservations"]


class LeaseFile(unittest.TestCase):
    def test_leases_appear_newest_first_and_go_on_release(self):
        with Lab() as lab:
            web_ns = lab.client("web")
            anon_ns = lab.client("anon")
            lease_file = lab.subdir("lxd") / "dnsmasq.leases"
            config = netlab.berthd_config("@DATABASE@", extra=f'lease_file = "{lease_file}"')
            server = start_berthd(lab, config)
            # Written at start-up, empty: no lease yet, no DHCPv6.
            wait_until(lease_file.exists, 5, f"berthd to write {lease_file}")
            self.assertEqual(lease_file.read_text(), "")

            web = netlab.Udhcpc(web_ns, hostname="web")
            web_lease = web.acquire(keep_running=True)
            fields = wait_until(lambda: line_for(lease_file, web_lease.ip), 5,
                                f"a line for {web_lease.ip} in {lease_file}")
            # udhcpc sends its MAC as client identifier (type 1).
            self.assertEqual(fields[1:], [web_ns.mac, web_lease.ip, "web", "01:" + web_ns.mac])
            self.assertEqual(int(fields[0]), db_expiry(server.db_path, web_lease.ip))

            # A second later (updated_at has whole seconds); udhcpc without
            # -x hostname sends no name.
            time.sleep(1.1)
            anon = netlab.Udhcpc(anon_ns)
            anon_lease = anon.acquire(keep_running=True)
            fields = wait_until(lambda: line_for(lease_file, anon_lease.ip), 5,
                                f"a line for {anon_lease.ip} in {lease_file}")
            self.assertEqual(fields[1:4], [anon_ns.mac, anon_lease.ip, "*"])
            check_format(self, lease_file)
            lines = read_lines(lease_file)
            self.assertEqual(len(lines), 2, lines)
            # Newest first, as dnsmasq lists them.
            self.assertEqual(lines[0].split(" ")[2], anon_lease.ip)
            self.assertEqual(lines[1].split(" ")[2], web_lease.ip)

            st = lease_file.stat()
            self.assertEqual(stat.S_IMODE(st.st_mode), 0o644)
            self.assertEqual(sorted(p.name for p in lease_file.parent.iterdir()),
                             ["dnsmasq.leases"], "a temporary file was left behind")
            self.assertEqual(
                {(r["mac"], r["ip"]) for r in imported(self, lease_file)},
                {(web_ns.mac, web_lease.ip), (anon_ns.mac, anon_lease.ip)})

            web.release()
            wait_until(lambda: line_for(lease_file, web_lease.ip) is None, 5,
                       f"the line of the released {web_lease.ip} to go")
            self.assertIsNotNone(line_for(lease_file, anon_lease.ip))
            metrics = server.ctl("metrics").stdout
            self.assertRegex(metrics, r'berth_lease_file_writes_total\{result="ok"\} [1-9]')
            self.assertIn('berth_lease_file_writes_total{result="failed"} 0', metrics)
            self.assertNotRegex(server.process.log_text(), r"lease_file .* not written")

    def test_a_reload_moves_the_file(self):
        with Lab() as lab:
            ns = lab.client("mover")
            first = lab.subdir("one") / "dnsmasq.leases"
            second = lab.subdir("two") / "leases"
            config = netlab.berthd_config("@DATABASE@", extra=f'lease_file = "{first}"')
            server = start_berthd(lab, config)
            lease = netlab.Udhcpc(ns, hostname="mover").acquire(keep_running=True)
            wait_until(lambda: line_for(first, lease.ip), 5, f"{lease.ip} in {first}")

            server.config_path.write_text(
                server.config_path.read_text().replace(str(first), str(second)))
            server.ctl("reload")
            fields = wait_until(lambda: line_for(second, lease.ip), 5,
                                f"{lease.ip} in {second} after the reload")
            self.assertEqual(fields[1:4], [ns.mac, lease.ip, "mover"])
            # The old file stays as it was: another program may still read it.
            self.assertIsNotNone(line_for(first, lease.ip))

    def test_a_failing_write_is_logged_once_and_retried(self):
        with Lab() as lab:
            ns = lab.client("fail")
            missing = lab.path("not-yet")
            lease_file = missing / "dnsmasq.leases"
            config = netlab.berthd_config("@DATABASE@", extra=f'lease_file = "{lease_file}"')
            server = start_berthd(lab, config)
            server.process.wait_for_log(r"lease_file .* not written", 5)
            # DHCP is served all the same.
            lease = netlab.Udhcpc(ns, hostname="fail").acquire(keep_running=True)
            # Retried every 10 s, not at each change; logged once.
            wait_until(lambda: re.search(r'berth_lease_file_writes_total\{result="failed"\} [2-9]',
                                         server.ctl("metrics").stdout), 15, "a retry")
            self.assertEqual(len(re.findall(r"lease_file .* not written",
                                            server.process.log_text())), 1)
            # A retry writes it once the directory is there.
            missing.mkdir()
            wait_until(lambda: line_for(lease_file, lease.ip), 15,
                       f"the retry to write {lease_file}")
            server.process.wait_for_log(r"lease_file .* written again", 5)

    def test_dhcpv6_lease_follows_the_server_duid(self):
        if not shutil.which(netlab.DHCLIENT):
            self.skipTest(f"{netlab.DHCLIENT} is not installed")
        import test_berthd_ipv6 as v6  # the IPv6 lab's bridge and client helpers
        with Lab() as lab:
            v4_ns = lab.client("four")
            v6_ns = lab.client("six")
            lease_file = lab.subdir("lxd") / "dnsmasq.leases"
            bridge = v6.ipv6_bridge("stateful", f'ipv6_pool = "{v6.PREFIX}1:0-{v6.PREFIX}1:ff"\n')
            config = netlab.berthd_config("@DATABASE@", [bridge],
                                          extra=f'lease_file = "{lease_file}"')
            start_berthd(lab, config)
            # DHCPv6 served: the server's DUID even before any lease.
            wait_until(lambda: read_lines(lease_file), 5, f"a duid line in {lease_file}")
            self.assertRegex(read_lines(lease_file)[0], rf"^duid {HEX}$")

            lease4 = netlab.Udhcpc(v4_ns, hostname="four").acquire(keep_running=True)
            v6.wait_link_local_ready(v6_ns)
            ip = str(v6.leased_address(self, v6.dhclient6(lab, v6_ns, "six")))
            fields = wait_until(lambda: line_for(lease_file, ip), 5, f"a line for {ip}")
            check_format(self, lease_file)
            lines = read_lines(lease_file)
            self.assertEqual(len(lines), 3, lines)
            self.assertEqual(lines[0].split(" ")[2], lease4.ip)
            self.assertTrue(lines[1].startswith("duid "), lines)
            self.assertRegex(fields[1], r"^\d+$")  # the IAID
            # dhclient -6 sends a DUID-LLT or DUID-LL of its MAC.
            self.assertRegex(fields[4], r"^00:0[13](:[0-9a-f]{2})+$")
            self.assertTrue(fields[4].endswith(v6_ns.mac), fields)
            # The importer reads the DHCPv4 part and skips the DHCPv6 one.
            self.assertEqual([(r["mac"], r["ip"]) for r in imported(self, lease_file)],
                             [(v4_ns.mac, lease4.ip)])

    def test_as_user_in_a_shared_root_owned_directory(self):
        nobody = pwd.getpwnam("nobody")
        with Lab() as lab:
            ns = lab.client("priv")
            os.chmod(lab.tmp, 0o755)  # nobody must reach its files in the lab
            state = lab.subdir("state")
            run = lab.subdir("run")
            # Like LXD's network directory: root's, with files of others.
            network = lab.subdir("network")
            os.chmod(network, 0o755)
            (network / "dnsmasq.pid").write_text("1\n")
            lease_file = network / "dnsmasq.leases"
            config = netlab.berthd_config(
                state / "berth.db",
                extra=f'control_socket = "{run}/berthd.sock"\nuser = "nobody"\n'
                      f'lease_file = "{lease_file}"')
            server = start_berthd(lab, config)
            server.socket_path = run / "berthd.sock"
            server.db_path = state / "berth.db"
            wait_until(lambda: "running as user nobody" in server.process.log_text(), 5,
                       "berthd to drop its privileges")
            self.assertEqual(lease_file.stat().st_uid, nobody.pw_uid)
            self.assertEqual(network.stat().st_uid, 0)

            lease = netlab.Udhcpc(ns, hostname="web").acquire(keep_running=True)
            fields = wait_until(lambda: line_for(lease_file, lease.ip), 5,
                                f"a line for {lease.ip} in {lease_file}")
            self.assertEqual(fields[1:4], [ns.mac, lease.ip, "web"])
            self.assertEqual(lease_file.stat().st_uid, nobody.pw_uid)
            self.assertEqual(stat.S_IMODE(lease_file.stat().st_mode), 0o644)
            self.assertNotRegex(server.process.log_text(), r"lease_file .* not written")


if __name__ == "__main__":
    unittest.main(verbosity=2)
