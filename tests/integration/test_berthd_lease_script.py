#!/usr/bin/python3
"""[daemon] lease_script (issue 14): dnsmasq's --dhcp-script contract.

- a udhcpc lease runs the script with `add MAC IP NAME` and dnsmasq's
  DNSMASQ_* environment; a renewal runs `old`, a DHCPRELEASE `del`;
- a DHCPv6 lease (dhclient -6) runs it as dnsmasq does: `add DUID IPV6`
  with DNSMASQ_IAID, DNSMASQ_SERVER_DUID and DNSMASQ_MAC;
- a script that hangs past lease_script_timeout is killed, and meanwhile
  DHCP keeps answering (a second client gets its lease while it hangs);
- libvirt's leaseshelper (Debian's libvirt-daemon), run unchanged as the
  lease script, writes the <bridge>.status file libvirt reads. Its path is
  fixed (/var/lib/libvirt/dnsmasq), so berthd runs in a mount namespace of
  its own where the lab's directory is mounted there: nothing on the host
  is touched.
"""

import json
import os
import re
import shutil
import sqlite3
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import netlab  # noqa: E402
from netlab import BridgeConfig, Lab, start_berthd, wait_until  # noqa: E402

LEASESHELPER = netlab.LEASESHELPER


def setUpModule():
    netlab.require_root()
    if netlab.berthd_path() is None:
        raise unittest.SkipTest("no berthd binary ($BERTHD)")


def recording_script(workdir: Path, log: Path, extra: str = "") -> Path:
    """A lease script that appends its arguments and DNSMASQ_* environment
    to `log`, one record per call, ended by END."""
    script = workdir / "record.sh"
    script.write_text(f"""#!/bin/sh
{extra}
{{ echo "ARGS $*"; env | grep '^DNSMASQ_' | sort; echo END; }} >> {log}
""")
    script.chmod(0o755)
    return script


def records(log: Path) -> list:
    """[(args, {env})] from the recording script's log."""
    out = []
    if not log.exists():
        return out
    args, env = None, {}
    for line in log.read_text().splitlines():
        if line.startswith("ARGS "):
            args, env = line[5:].split(), {}
        elif line == "END" and args is not None:
            out.append((args, env))
            args = None
        elif "=" in line:
            k, v = line.split("=", 1)
            env[k] = v
    return out


def wait_record(log: Path, action: str, timeout: float = 10.0, after: int = 0):
    def found():
        for args, env in records(log)[after:]:
            if args and args[0] == action:
                return args, env
        return None
    return wait_until(found, timeout, f"a lease script call '{action}' in {log}")


def db_lease(db_path: Path, ip: str) -> dict:
    with sqlite3.connect(db_path, timeout=10) as conn:
        conn.row_factory = sqlite3.Row
        row = conn.execute("SELECT * FROM leases WHERE ip = ?", (ip,)).fetchone()
        return dict(row) if row else {}


class LeaseScript(unittest.TestCase):
    def test_add_old_del_with_dnsmasq_arguments_and_environment(self):
        with Lab() as lab:
            ns = lab.client("web")
            workdir = lab.subdir("script")
            log = workdir / "calls.log"
            script = recording_script(workdir, log)
            config = netlab.berthd_config("@DATABASE@", extra=f'lease_script = "{script}"')
            server = start_berthd(lab, config)
            client = netlab.Udhcpc(ns, hostname="web")
            lease = client.acquire(keep_running=True)
            now = int(time.time())

            args, env = wait_record(log, "add")
            self.assertEqual(args, ["add", ns.mac, lease.ip, "web"])
            self.assertEqual(env.get("DNSMASQ_INTERFACE"), "br0")
            self.assertEqual(env.get("DNSMASQ_DOMAIN"), "lab")
            self.assertEqual(env.get("DNSMASQ_SUPPLIED_HOSTNAME"), "web")
            self.assertEqual(env.get("DNSMASQ_TAGS"), "br0")
            # udhcpc sends its MAC as client identifier (type 1) and asks for options.
            self.assertEqual(env.get("DNSMASQ_CLIENT_ID"), "01:" + ns.mac)
            self.assertRegex(env.get("DNSMASQ_REQUESTED_OPTIONS", ""), r"^\d+(,\d+)+$")
            self.assertIn("1", env["DNSMASQ_REQUESTED_OPTIONS"].split(","))
            self.assertTrue(env.get("DNSMASQ_VENDOR_CLASS", "").startswith("udhcp"), env)
            expires = int(env["DNSMASQ_LEASE_EXPIRES"])
            self.assertEqual(expires, db_lease(server.db_path, lease.ip)["expires_at"])
            self.assertLessEqual(abs(expires - (now + 600)), 3)
            self.assertLessEqual(abs(int(env["DNSMASQ_TIME_REMAINING"]) - 600), 3)
            self.assertNotIn("DNSMASQ_OLD_HOSTNAME", env)

            # A renewal a second later moves the expiry: "old" (--script-on-renewal).
            time.sleep(1.2)
            n = len(records(log))
            client.renew()
            args, env = wait_record(log, "old", after=n)
            self.assertEqual(args, ["old", ns.mac, lease.ip, "web"])
            self.assertGreater(int(env["DNSMASQ_LEASE_EXPIRES"]), expires)
            self.assertEqual(env.get("DNSMASQ_INTERFACE"), "br0")

            n = len(records(log))
            client.release()
            args, env = wait_record(log, "del", after=n)
            self.assertEqual(args, ["del", ns.mac, lease.ip, "web"])
            self.assertEqual(env.get("DNSMASQ_TIME_REMAINING"), "0")
            self.assertEqual([a[0] for a, _ in records(log)], ["add", "old", "del"])
            metrics = server.ctl("metrics").stdout
            self.assertRegex(metrics, r'berth_lease_script_runs_total\{result="ok"\} 3')
            self.assertIn("berth_lease_script_dropped_total 0", metrics)

    def test_dhcpv6_lease_runs_the_script_with_duid_iaid_and_server_duid(self):
        if not shutil.which(netlab.DHCLIENT):
            self.skipTest(f"{netlab.DHCLIENT} is not installed")
        import test_berthd_ipv6 as v6  # the IPv6 lab's bridge and client helpers
        with Lab() as lab:
            ns = lab.client("v6")
            workdir = lab.subdir("script")
            log = workdir / "calls.log"
            script = recording_script(workdir, log)
            bridge = v6.ipv6_bridge("stateful", f'ipv6_pool = "{v6.PREFIX}1:0-{v6.PREFIX}1:ff"\n')
            config = netlab.berthd_config("@DATABASE@", [bridge],
                                          extra=f'lease_script = "{script}"')
            start_berthd(lab, config)
            v6.wait_link_local_ready(ns)
            text = v6.dhclient6(lab, ns, "v6")
            ip = str(v6.leased_address(self, text))

            def add6():
                return next(((a, e) for a, e in records(log)
                             if a[0] == "add" and a[2] == ip), None)
            args, env = wait_until(add6, 10, f"an 'add' call for {ip}")
            # dhclient -6 sends a DUID-LLT or DUID-LL of its MAC; the lease file
            # keeps it (octal escapes) as default-duid: compare the MAC part.
            self.assertRegex(args[1], r"^00:0[13](:[0-9a-f]{2})+$")
            self.assertTrue(args[1].endswith(ns.mac), args)
            # dhclient's lease file names the IA_NA by its IAID, four hex bytes.
            ia = re.search(r"ia-na ([0-9a-f]{2}(?::[0-9a-f]{2}){3}) \{", text)
            if ia:
                self.assertEqual(env.get("DNSMASQ_IAID"),
                                 str(int(ia.group(1).replace(":", ""), 16)), text)
            self.assertRegex(env.get("DNSMASQ_IAID", ""), r"^\d+$")
            self.assertRegex(env.get("DNSMASQ_SERVER_DUID", ""), r"^[0-9a-f]{2}(:[0-9a-f]{2})+$")
            self.assertEqual(env.get("DNSMASQ_MAC"), ns.mac)
            self.assertEqual(env.get("DNSMASQ_INTERFACE"), "br0")
            self.assertNotIn("DNSMASQ_CLIENT_ID", env)

    def test_hung_script_is_killed_and_dhcp_answers_meanwhile(self):
        with Lab() as lab:
            slow_ns = lab.client("slow")
            fast_ns = lab.client("fast")
            workdir = lab.subdir("script")
            log = workdir / "calls.log"
            started = workdir / "started"
            script = recording_script(
                workdir, log,
                extra=f'if [ "$4" = slow ]; then touch {started}; sleep 60; fi')
            config = netlab.berthd_config(
                "@DATABASE@", extra=f'lease_script = "{script}"\nlease_script_timeout = 4')
            server = start_berthd(lab, config)
            netlab.Udhcpc(slow_ns, hostname="slow").acquire(keep_running=True)
            wait_until(started.exists, 10, "the script to start for the first lease")
            hang_began = time.monotonic()

            # While the script hangs, a second client is served at once.
            fast = netlab.Udhcpc(fast_ns, hostname="fast").acquire(keep_running=True)
            self.assertTrue(server.in_pool(fast.ip))
            self.assertLess(time.monotonic() - hang_began, 3.5,
                            "DHCP waited for the hung lease script")
            self.assertNotRegex(server.process.log_text(), r"still running after")

            server.process.wait_for_log(
                r"lease_script .*add " + re.escape(slow_ns.mac) +
                r".*still running after 4000 ms: killed its process group", 10)
            # The killed call wrote nothing; the queued one ran after it.
            args, _ = wait_record(log, "add")
            self.assertEqual(args, ["add", fast_ns.mac, fast.ip, "fast"])
            self.assertEqual(len(records(log)), 1)
            # The script's `sleep 60` went with its process group.
            r = netlab.run(["pgrep", "-f", "^sleep 60$"], check=False)
            self.assertEqual(r.stdout.strip(), "", "the hung script's child survived")
            self.assertRegex(server.ctl("metrics").stdout,
                             r'berth_lease_script_runs_total\{result="timeout"\} 1')

    def test_bad_script_is_a_config_error_naming_the_key(self):
        with Lab() as lab:
            workdir = lab.subdir("script")
            script = workdir / "not-executable.sh"
            script.write_text("#!/bin/sh\n")
            config_path = workdir / "berth.toml"
            config_path.write_text(
                f'[daemon]\ndatabase = "{workdir / "berth.db"}"\n'
                f'control_socket = "{workdir / "s.sock"}"\nlease_script = "{script}"\n')
            r = netlab.run([str(netlab.berthd_path()), "--config", str(config_path)],
                           check=False, timeout=10)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn("lease_script", r.stderr)
            self.assertIn("is not executable", r.stderr)


class LibvirtLeaseshelper(unittest.TestCase):
    def test_leaseshelper_writes_libvirts_status_file(self):
        if not os.access(LEASESHELPER, os.X_OK):
            self.skipTest(f"{LEASESHELPER} missing: install libvirt-daemon (scripts/deps.sh)")
        with Lab() as lab:
            ns = lab.client("vm")
            workdir = lab.subdir("libvirt")
            wrapper, status_dir = netlab.leaseshelper_world(workdir, netlab.berthd_path(), "berthd")
            config = netlab.berthd_config("@DATABASE@", extra=f'lease_script = "{LEASESHELPER}"')
            server = start_berthd(lab, config, binary=wrapper)
            status = status_dir / "br0.status"

            client = netlab.Udhcpc(ns, hostname="vm1")
            lease = client.acquire(keep_running=True)

            def entries():
                try:
                    return json.loads(status.read_text())
                except (FileNotFoundError, json.JSONDecodeError):
                    return None
            got = wait_until(lambda: entries() or None, 10, f"leaseshelper to write {status}")
            stored = db_lease(server.db_path, lease.ip)
            self.assertEqual(got, [{"ip-address": lease.ip, "mac-address": ns.mac,
                                    "hostname": "vm1", "client-id": "01:" + ns.mac,
                                    "expiry-time": stored["expires_at"]}])

            time.sleep(1.2)
            client.renew()
            wait_until(lambda: (entries() or [{}])[0].get("expiry-time", 0) >
                       stored["expires_at"], 10, "leaseshelper to record the renewal")
            self.assertEqual(entries()[0]["expiry-time"],
                             db_lease(server.db_path, lease.ip)["expires_at"])

            client.release()
            wait_until(lambda: entries() == [], 10, "leaseshelper to drop the released lease")
            self.assertNotRegex(server.process.log_text(), r"lease_script .*(exited|killed)")


if __name__ == "__main__":
    unittest.main(verbosity=2)
