#!/usr/bin/python3
"""berthd as a service on a real host (issue 13), in the lab's namespaces:

- [daemon] user: started as root, berthd becomes the user with only
  CAP_NET_ADMIN, CAP_NET_RAW and CAP_NET_BIND_SERVICE (/proc/PID/status), owns
  its database and control socket, and still leases, writes reservations,
  adds a bridge on SIGHUP (netlink, raw socket, port 53) and stops cleanly;
- the systemd notify protocol: READY=1 once serving, WATCHDOG=1 pings,
  RELOADING=1 then READY=1 around SIGHUP, STOPPING=1 on SIGTERM.
"""

import os
import pwd
import shutil
import signal
import socket
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import netlab  # noqa: E402
from netlab import Lab, start_berthd, wait_until  # noqa: E402

DIG = shutil.which("dig") or "/usr/bin/dig"
KEPT_CAPS = (1 << 10) | (1 << 12) | (1 << 13)  # NET_BIND_SERVICE, NET_ADMIN, NET_RAW


def setUpModule():
    netlab.require_root()
    if netlab.berthd_path() is None:
        raise unittest.SkipTest("no berthd binary ($BERTHD)")


def status_fields(path):
    fields = {}
    for line in Path(path).read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


class PrivilegeDrop(unittest.TestCase):
    def test_runs_as_the_user_with_three_capabilities(self):
        nobody = pwd.getpwnam("nobody")
        with Lab() as lab:
            ns = lab.client("priv")
            # The lab's own directories: nobody must reach its config there.
            os.chmod(lab.tmp, 0o755)
            state = lab.subdir("state")
            run = lab.subdir("run")
            config = netlab.berthd_config(
                state / "berth.db", extra=f'control_socket = "{run}/berthd.sock"\nuser = "nobody"')
            config = config.replace('address = "198.18.0.1/24"',
                                    'address = "198.18.0.1/24"\nnat = true', 1)
            server = start_berthd(lab, config)
            server.socket_path = run / "berthd.sock"
            server.db_path = state / "berth.db"
            pid = server.process.pid
            wait_until(lambda: "running as user nobody" in server.process.log_text(), 5,
                       "berthd to drop its privileges")

            # Every thread has nobody's ids; the main one keeps three capabilities,
            # the others (lease writer, DNS workers) none.
            main = status_fields(f"/proc/{pid}/status")
            self.assertEqual(main["Uid"].split(), [str(nobody.pw_uid)] * 4)
            self.assertEqual(main["Gid"].split(), [str(nobody.pw_gid)] * 4)
            self.assertEqual(int(main["CapEff"], 16), KEPT_CAPS)
            self.assertEqual(int(main["CapPrm"], 16), KEPT_CAPS)
            self.assertEqual(main["NoNewPrivs"], "1")
            tasks = os.listdir(f"/proc/{pid}/task")
            self.assertGreater(len(tasks), 1)
            for tid in tasks:
                t = status_fields(f"/proc/{pid}/task/{tid}/status")
                self.assertEqual(t["Uid"].split()[0], str(nobody.pw_uid), tid)
                self.assertEqual(int(t["CapEff"], 16) & ~KEPT_CAPS, 0, tid)

            # Its files are the user's.
            for path in (state, state / "berth.db", run, run / "berthd.sock"):
                self.assertEqual(path.stat().st_uid, nobody.pw_uid, path)

            # It still serves, stores, and writes the database as the user.
            lease = netlab.Udhcpc(ns, hostname="web").acquire()
            wait_until(lambda: any(l["ip"] == lease.ip for l in server.leases()), 5,
                       "the lease in the database")
            server.ctl("reservation", "add", "--bridge", "br0", "--mac", "02:62:74:00:10:01",
                       "--ip", "198.18.0.9", "--name", "fixed")
            out = ns.run([DIG, "@198.18.0.1", "+short", "fixed.lab"]).stdout.split()
            self.assertEqual(out, ["198.18.0.9"])
            # The NAT it was asked for is in place (CAP_NET_ADMIN: nftables, sysctl).
            ruleset = lab.host().run(["nft", "list", "table", "inet", "berth"]).stdout
            self.assertIn("masquerade", ruleset)

            # A bridge added by SIGHUP needs netlink, a packet socket and port 53.
            server.config_path.write_text(
                server.config_path.read_text() +
                '\n[[bridge]]\nname = "br1"\naddress = "198.19.1.1/24"\n'
                'pool = "198.19.1.10-198.19.1.20"\ndomain = "two"\n')
            other = lab.client("priv2", bridge="br1")
            server.process.signal(signal.SIGHUP)
            server.process.wait_for_log("serving DNS on br1", 10)
            lab.attach_all("br1")
            lease2 = netlab.Udhcpc(other).acquire()
            self.assertTrue(lease2.ip.startswith("198.19.1."))
            out = other.run([DIG, "@198.19.1.1", "+short", "fixed.lab"]).stdout.split()
            self.assertEqual(out, ["198.18.0.9"])

            self.assertEqual(server.process.terminate(), 0)
            self.assertFalse((run / "berthd.sock").exists(), "the socket was left behind")
            self.assertNotIn("error", server.process.log_text().lower().replace("errors", ""))

    def test_an_unknown_user_is_refused_before_serving(self):
        with Lab() as lab:
            workdir = lab.subdir("bad")
            config = netlab.berthd_config(workdir / "berth.db",
                                          extra=f'control_socket = "{workdir}/s.sock"\n'
                                                'user = "no-such-berth-user"')
            path = workdir / "berth.toml"
            path.write_text(config + '\n[dns]\nenabled = false\n')
            p = lab.host().spawn([str(netlab.berthd_path()), "--config", str(path)],
                                 log=workdir / "berthd.log")
            self.assertEqual(p.wait(15), 1)
            self.assertIn("there is no user 'no-such-berth-user'", p.log_text())


class ForeignBridge(unittest.TestCase):
    """The LXD and libvirt migration case (docs/migrating.md): the manager
    owns the bridge and its address; berthd serves it with create = false,
    takes the old dnsmasq's leases over, and leaves the bridge when it stops."""

    def test_serves_a_bridge_it_did_not_create(self):
        with Lab() as lab:
            host = lab.host()
            host.ip("link", "add", "br0", "type", "bridge")
            host.ip("addr", "add", "198.18.0.1/24", "dev", "br0")
            host.ip("link", "set", "br0", "up")
            ns = lab.client("old", mac="02:62:74:00:20:01")
            leases = lab.tmp / "dnsmasq.br0.leases"
            leases.write_text("1999999999 02:62:74:00:20:01 198.18.0.77 old *\n")
            config = netlab.berthd_config("@DATABASE@").replace(
                'domain = "lab"', 'domain = "lab"\ncreate = false', 1)
            server = start_berthd(lab, config)
            server.ctl("import", "dnsmasq-leases", str(leases), "--bridge", "br0")
            lease = netlab.Udhcpc(ns).acquire()
            self.assertEqual(lease.ip, "198.18.0.77")
            self.assertEqual(server.process.terminate(), 0)
            self.assertTrue(host.link_exists("br0"), "berthd deleted a bridge it did not make")
            addrs = host.run(["ip", "-br", "addr", "show", "br0"]).stdout
            self.assertIn("198.18.0.1/24", addrs)


class SystemdNotify(unittest.TestCase):
    def test_ready_watchdog_reload_and_stopping(self):
        with Lab() as lab:
            lab.client("sd")
            path = lab.tmp / "notify.sock"
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            sock.bind(str(path))
            sock.settimeout(10)
            try:
                server = start_berthd(lab, env={"NOTIFY_SOCKET": str(path),
                                                "WATCHDOG_USEC": "400000"})

                def until(prefix, seen):
                    deadline = time.monotonic() + 10
                    while time.monotonic() < deadline:
                        msg = sock.recv(4096).decode()
                        seen.append(msg)
                        if msg.startswith(prefix):
                            return msg
                    self.fail(f"no {prefix} in {seen}")

                seen = []
                ready = until("READY=1", seen)
                self.assertIn("STATUS=serving 1 bridge(s)", ready)
                self.assertTrue(server.process.alive())
                pings = []
                started = time.monotonic()
                while time.monotonic() - started < 1.0:
                    pings.append(sock.recv(4096).decode())
                self.assertGreaterEqual(pings.count("WATCHDOG=1"), 3, pings)

                server.process.signal(signal.SIGHUP)
                seen = []
                reloading = until("RELOADING=1", seen)
                self.assertIn("MONOTONIC_USEC=", reloading)
                until("READY=1", seen)

                server.process.signal(signal.SIGTERM)
                until("STOPPING=1", [])
                self.assertEqual(server.process.wait(10), 0)
            finally:
                sock.close()


if __name__ == "__main__":
    unittest.main()
