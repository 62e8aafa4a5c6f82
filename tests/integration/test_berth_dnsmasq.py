#!/usr/bin/python3
"""berth-dnsmasq (issue 16): berth under the command lines lxc-net, Incus and
libvirt give dnsmasq, taken from tests/data/dnsmasq_frontend (see its README
for where each comes from) with the lab's bridge, addresses and directories
put in their placeholders.

- each manager's exact argument list starts it (daemonizing with a pid file
  as lxc-net and libvirt expect, in the foreground as Incus keeps it) and a
  client in a namespace gets a lease from the range; Incus's default bridge
  (ra-stateless on the bridge's /64) gives the client a SLAAC address;
- SIGHUP after a hosts file is edited moves a client to its new reservation
  at its next renewal;
- the lease file (lxc-net, Incus) is in dnsmasq's format, and berthctl's
  importer reads it back;
- libvirt's leaseshelper, run unchanged as the dhcp-script, writes the
  .status file libvirt reads (in a private mount namespace: nothing under
  the host's /var/lib/libvirt is touched);
- SIGTERM stops it and removes its pid file; after a SIGKILL (how lxc-net and
  Incus stop dnsmasq) it starts again over the stale control socket;
- an option it cannot carry out safely is refused, named, and nothing runs.
"""

import ipaddress
import json
import os
import re
import signal
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import netlab  # noqa: E402
from netlab import Lab, wait_until  # noqa: E402
from netlab.core import DEFAULT_ADDRESS, DEFAULT_BRIDGE  # noqa: E402

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "data" / "dnsmasq_frontend"
LEASESHELPER = netlab.LEASESHELPER
ADDR6 = "fd00:0:0:1::1"
PREFIX6 = ipaddress.IPv6Network("fd00:0:0:1::/64")


def frontend_path():
    env = os.environ.get("BERTH_DNSMASQ")
    if env and Path(env).exists():
        return Path(env)
    berthd = netlab.berthd_path()
    if berthd is not None:
        candidate = berthd.parent.parent / "dnsmasq_compat" / "berth-dnsmasq"
        if candidate.exists():
            return candidate
    return None


def setUpModule():
    netlab.require_root()
    if frontend_path() is None:
        raise unittest.SkipTest("no berth-dnsmasq binary ($BERTH_DNSMASQ)")


def fill(text: str, workdir: Path) -> str:
    values = {
        "{BRIDGE}": DEFAULT_BRIDGE, "{ADDR}": DEFAULT_ADDRESS.split("/")[0],
        "{RANGE_START}": "198.18.0.10", "{RANGE_END}": "198.18.0.200",
        "{NETMASK}": "255.255.255.0", "{LEASE_MAX}": "253", "{ADDR6}": ADDR6,
        "{PREFIX6}": "64", "{RANGE6_START}": "fd00:0:0:1::100",
        "{RANGE6_END}": "fd00:0:0:1::1ff", "{DIR}": str(workdir), "{DOMAIN}": "test",
        "{USER}": "root", "{GROUP}": "root",
    }
    for k, v in values.items():
        text = text.replace(k, v)
    for address in re.findall(r"\b\d+\.\d+\.\d+\.\d+\b", text):
        if not address.startswith("255."):  # netmasks
            netlab.core.check_lab_address(address)
    return text


def fixture_args(name: str, workdir: Path) -> list:
    return fill((FIXTURES / name).read_text(), workdir).splitlines()


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


class Frontend:
    """A berth-dnsmasq the test started: the spawned process (the parent when
    it daemonizes) and the daemon's pid, killed at cleanup whatever happens."""

    def __init__(self, test: unittest.TestCase, lab: Lab, workdir: Path, args: list,
                 pid_file=None, wrapper=None):
        self.lab, self.workdir, self.pid_file = lab, workdir, pid_file
        self.state = workdir / "state"
        self.run_dir = workdir / "run"
        env = dict(os.environ, BERTH_DNSMASQ_STATE_DIR=str(self.state),
                   BERTH_DNSMASQ_RUN_DIR=str(self.run_dir), BERTH_DNSMASQ_HOSTS="/dev/null",
                   BERTH_DNSMASQ_LOG="stderr")
        binary = str(wrapper or frontend_path())
        self.log = workdir / f"berth-dnsmasq-{lab.seq()}.log"
        self.process = lab.host().spawn([binary, *args], log=self.log, env=env)
        self.pid = None
        test.addCleanup(self.kill)

    @property
    def socket(self) -> Path:
        return self.run_dir / DEFAULT_BRIDGE / "berthd.sock"

    def wait_serving(self, timeout: float = 15.0):
        if self.pid_file is not None:
            # dnsmasq's contract: the parent exits 0 once the child serves,
            # and the pid file names the child.
            rc = self.process.wait(timeout)
            if rc != 0:
                raise AssertionError(f"berth-dnsmasq exited {rc}:\n{self.log.read_text()}")
            self.pid = int(Path(self.pid_file).read_text())
            assert pid_alive(self.pid), "the pid file names no process"
        else:
            self.pid = self.process.pid
        wait_until(self.socket.exists, timeout, f"the control socket {self.socket}")
        return self

    def ctl(self, *args, json_out=False):
        argv = [str(netlab.berthctl_path()), "--socket", str(self.socket)]
        if json_out:
            argv.append("--json")
        r = netlab.run(argv + list(args), timeout=20)
        return json.loads(r.stdout) if json_out else r

    def signal(self, sig):
        os.kill(self.pid, sig)

    def kill(self):
        for pid in {self.pid, self.process.pid} - {None}:
            if not pid_alive(pid):
                continue
            try:
                os.kill(pid, signal.SIGTERM)
                wait_until(lambda: not pid_alive(pid), 5, f"pid {pid} to stop")
            except Exception:  # noqa: BLE001 - the last resort below
                if pid_alive(pid):
                    os.kill(pid, signal.SIGKILL)
        self.process.terminate(5)


def start(test, lab, fixture: str, pid_file=None, workdir=None, extra=(), wrapper=None):
    workdir = workdir or lab.subdir(f"bd-{lab.seq()}")
    lab.host().create_bridge(DEFAULT_BRIDGE, DEFAULT_ADDRESS)
    args = fixture_args(fixture, workdir) + list(extra)
    front = Frontend(test, lab, workdir, args,
                     pid_file=workdir / pid_file if pid_file else None, wrapper=wrapper)
    front.wait_serving()
    lab.attach_all(DEFAULT_BRIDGE)
    return front


def dnsmasq_lease_lines(path: Path) -> list:
    if not path.exists():
        return []
    return [line.split() for line in path.read_text().splitlines()
            if line and not line.startswith("duid")]


class Managers(unittest.TestCase):
    def test_lxc_net_arguments_serve_a_lease_and_keep_the_lease_file(self):
        with Lab() as lab:
            ns = lab.client("c1")
            front = start(self, lab, "lxc-net.args", pid_file="dnsmasq.pid")
            lease = netlab.Udhcpc(ns, hostname="c1").acquire(keep_running=True)
            self.assertTrue(198 << 24 | 18 << 16 | 10 <= int.from_bytes(
                bytes(int(x) for x in lease.ip.split(".")), "big") <= 198 << 24 | 18 << 16 | 200)
            self.assertEqual(lease.server_id, "198.18.0.1")
            leases = front.ctl("leases", json_out=True)
            self.assertIn(lease.ip, json.dumps(leases))
            lease_file = front.workdir / f"dnsmasq.{DEFAULT_BRIDGE}.leases"
            line = wait_until(lambda: next((l for l in dnsmasq_lease_lines(lease_file)
                                            if l[2] == lease.ip), None), 5,
                              f"{lease.ip} in {lease_file}")
            self.assertEqual(line[1], ns.mac)
            self.assertEqual(line[3], "c1")
            self.assertRegex(line[0], r"^\d+$")
            # berth's importer (what a move back to berthd uses) reads it whole.
            r = netlab.run([str(netlab.berthctl_path()), "--json", "import", "dnsmasq-leases",
                            str(lease_file), "--bridge", DEFAULT_BRIDGE, "--dry-run"], timeout=10)
            out = json.loads(r.stdout)
            self.assertEqual(out["problems"], [], lease_file.read_text())
            self.assertEqual([x["ip"] for x in out["reservations"]], [lease.ip])

    def test_incus_arguments_in_the_foreground_with_hosts_dir_and_sighup(self):
        with Lab() as lab:
            ns = lab.client("c2")
            workdir = lab.subdir("incus")
            (workdir / "dnsmasq.raw").write_text("\n")
            hosts = workdir / "dnsmasq.hosts"
            hosts.mkdir()
            front = start(self, lab, "incus-ipv4.args", workdir=workdir)
            client = netlab.Udhcpc(ns, hostname="c2")
            first = client.acquire(keep_running=True)
            self.assertNotEqual(first.ip, "198.18.0.77")
            # Incus writes the instance's file, then sends SIGHUP.
            (hosts / "c2.eth0").write_text(f"{ns.mac},198.18.0.77,c2\n")
            front.signal(signal.SIGHUP)
            # --quiet-dhcp keeps the log at warnings: see the reload through the API.
            wait_until(lambda: "198.18.0.77" in front.ctl("reservation", "list").stdout, 10,
                       "the reservation from the edited hosts file")
            # The options read again say nothing new: each notice once per process.
            self.assertEqual(self.log_text(front).count("group: berth runs with"), 1)
            moved = client.renew()
            self.assertEqual(moved.ip, "198.18.0.77", self.log_text(front))
            # The name follows: the bridge answers c2.test with the new address.
            r = lab.host().run(["dig", "+short", "+time=2", "+tries=2", "@198.18.0.1", "c2.test"],
                           check=False)
            self.assertEqual(r.stdout.strip(), "198.18.0.77")
            r = lab.host().run(["dig", "+short", "+time=2", "+tries=2", "@198.18.0.1",
                            "_gateway.test"], check=False)
            self.assertEqual(r.stdout.strip(), "198.18.0.1")

    def test_incus_default_bridge_with_ipv6_sends_router_advertisements(self):
        with Lab() as lab:
            ns = lab.client("c4")
            workdir = lab.subdir("incus6")
            (workdir / "dnsmasq.raw").write_text("\n")
            (workdir / "dnsmasq.hosts").mkdir()
            lab.host().create_bridge(DEFAULT_BRIDGE, DEFAULT_ADDRESS)
            lab.host().ip("-6", "addr", "add", f"{ADDR6}/64", "dev", DEFAULT_BRIDGE, "nodad")
            front = Frontend(self, lab, workdir, fixture_args("incus.args", workdir))
            front.wait_serving()
            lab.attach_all(DEFAULT_BRIDGE)
            lease = netlab.Udhcpc(ns, hostname="c4").acquire(keep_running=True)
            self.assertTrue(lease.ip.startswith("198.18.0."))

            # ra-stateless: the client forms a SLAAC address in the bridge's /64.
            def slaac():
                out = json.loads(ns.ip("-j", "-6", "addr", "show", "dev", "eth0", "scope",
                                       "global").stdout)
                return next((a["local"] for link in out for a in link.get("addr_info", [])
                             if "local" in a and ipaddress.IPv6Address(a["local"]) in PREFIX6
                             and not a.get("tentative")), None)
            address = wait_until(slaac, 20, "a SLAAC address from berth's router advertisement")
            self.assertIn(ipaddress.IPv6Address(address), PREFIX6)

    def test_libvirt_arguments_and_leaseshelper_write_the_status_file(self):
        if not os.access(LEASESHELPER, os.X_OK):
            self.skipTest(f"{LEASESHELPER} missing: install libvirt-daemon (scripts/deps.sh)")
        with Lab() as lab:
            ns = lab.client("vm1")
            workdir = lab.subdir("libvirt")
            (workdir / "default.conf").write_text(
                fill((FIXTURES / "libvirt-default.conf").read_text(), workdir))
            (workdir / "default.hostsfile").write_text(f"{ns.mac},198.18.0.55,vm1\n")
            (workdir / "default.addnhosts").write_text(
                fill((FIXTURES / "libvirt.addnhosts").read_text(), workdir))
            # libvirt's dhcp-script path, pointing at Debian's real leaseshelper.
            (workdir / "libvirt_leaseshelper").symlink_to(LEASESHELPER)
            wrapper, status_dir = netlab.leaseshelper_world(workdir, frontend_path(),
                                                            "berth-dnsmasq")
            front = start(self, lab, "libvirt.args", pid_file="default.pid", workdir=workdir,
                          wrapper=wrapper)
            lease = netlab.Udhcpc(ns, hostname="vm1").acquire(keep_running=True)
            self.assertEqual(lease.ip, "198.18.0.55")  # the hostsfile's reservation
            status = status_dir / f"{DEFAULT_BRIDGE}.status"

            def entries():
                try:
                    return json.loads(status.read_text()) or None
                except (FileNotFoundError, json.JSONDecodeError):
                    return None
            got = wait_until(entries, 10, f"leaseshelper to write {status}")
            self.assertEqual(got[0]["ip-address"], "198.18.0.55")
            self.assertEqual(got[0]["mac-address"], ns.mac)
            self.assertEqual(got[0]["hostname"], "vm1")
            # --leasefile-ro: no lease file at all.
            self.assertEqual(list(workdir.glob("*.leases")), [])
            # addn-hosts: "198.18.0.30 web web.example" answered at the bridge.
            r = lab.host().run(["dig", "+short", "+time=2", "+tries=2", "@198.18.0.1", "web.example"],
                           check=False)
            self.assertEqual(r.stdout.strip(), "198.18.0.30")

            # SIGTERM: it stops and its pid file goes.
            pid = front.pid
            front.signal(signal.SIGTERM)
            wait_until(lambda: not pid_alive(pid), 10, "berth-dnsmasq to stop on SIGTERM")
            self.assertFalse((workdir / "default.pid").exists())

    def log_text(self, front) -> str:
        return front.log.read_text(errors="replace") if front.log.exists() else ""


class Contract(unittest.TestCase):
    def test_sigkill_then_start_again_over_the_stale_socket(self):
        with Lab() as lab:
            ns = lab.client("c3")
            workdir = lab.subdir("again")
            front = start(self, lab, "lxc-net.args", pid_file="dnsmasq.pid", workdir=workdir)
            first = netlab.Udhcpc(ns, hostname="c3").acquire(keep_running=False)
            os.kill(front.pid, signal.SIGKILL)  # lxc-net's stop
            wait_until(lambda: not pid_alive(front.pid), 5, "the SIGKILL")
            self.assertTrue(front.socket.exists(), "the stale socket is the point of this test")
            again = Frontend(self, lab, workdir, fixture_args("lxc-net.args", workdir),
                             pid_file=workdir / "dnsmasq.pid").wait_serving()
            # The lease survived in the database: the same address again.
            second = netlab.Udhcpc(ns, hostname="c3").acquire(keep_running=False)
            self.assertEqual(second.ip, first.ip)
            self.assertTrue(pid_alive(again.pid))

    def test_unsafe_option_is_refused_by_name_and_nothing_runs(self):
        with Lab() as lab:
            workdir = lab.subdir("unsafe")
            lab.host().create_bridge(DEFAULT_BRIDGE, DEFAULT_ADDRESS)
            args = fixture_args("lxc-net.args", workdir)
            args = ["198.18.0.2,static" if a == "198.18.0.10,198.18.0.200" else a for a in args]
            r = lab.host().run([str(frontend_path()), *args], check=False, timeout=10)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("dhcp-range: mode static is not supported", r.stderr)
            self.assertFalse((workdir / "dnsmasq.pid").exists())

    def test_version_and_test_look_like_dnsmasq(self):
        r = netlab.run([str(frontend_path()), "--version"])
        self.assertTrue(r.stdout.startswith("Dnsmasq version 2."), r.stdout)
        # LXD reads the third word as the version.
        self.assertRegex(r.stdout.split()[2], r"^2\.\d+$")
        with Lab() as lab:
            workdir = lab.subdir("t")
            lab.host().create_bridge(DEFAULT_BRIDGE, DEFAULT_ADDRESS)
            r = lab.host().run([str(frontend_path()), *fixture_args("lxc-net.args", workdir),
                                "--test"], check=False)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("syntax check OK", r.stderr)
            self.assertIn("dhcp-lease-max", r.stderr)  # logged by name


if __name__ == "__main__":
    unittest.main(verbosity=2)
