"""A small world of network namespaces for berth's integration tests.

    with Lab() as lab:
        server = start_dnsmasq(lab)              # or start_berthd(lab)
        client = lab.client("c1")                # netns + veth onto the bridge
        lease = Udhcpc(client).acquire()         # real DHCP client, real packets
        assert lease.ip in server.pool

Everything lives in namespaces the lab creates (bt-<pid>-<n>-host, ...), and
only addresses from 198.18.0.0/15 are used in them. Nothing is added to the
root namespace. Teardown (on __exit__, at exit, on SIGTERM/SIGINT) stops
only the processes the lab started, by PID, deletes its namespaces (which
removes the veths) and its temporary directory, and reports every error it
met after doing all of it. Every wait is bounded.

Set BERTH_LAB_KEEP=1 to keep the temporary directory (logs, configs, client
event files) after teardown; its path is printed.
"""

from __future__ import annotations

import atexit
import dataclasses
import ipaddress
import itertools
import json
import os
import re
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from pathlib import Path
from typing import Callable, Iterable, Optional, Sequence

HERE = Path(__file__).resolve().parent
HOOK = HERE / "hooks" / "dhcp_hook.py"
RAWFRAMES = HERE / "rawframes.py"
PYTHON = "/usr/bin/python3"

IP = shutil.which("ip") or "/usr/sbin/ip"
BUSYBOX = shutil.which("busybox") or "/usr/bin/busybox"
DHCLIENT = shutil.which("dhclient") or "/usr/sbin/dhclient"
DHCPCD = shutil.which("dhcpcd") or "/usr/sbin/dhcpcd"
DNSMASQ = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"

# The only addresses the harness ever uses (RFC 2544 benchmarking range).
LAB_RANGE = ipaddress.IPv4Network("198.18.0.0/15")

DEFAULT_BRIDGE = "br0"
DEFAULT_ADDRESS = "198.18.0.1/24"
DEFAULT_POOL = ("198.18.0.10", "198.18.0.200")


class LabError(RuntimeError):
    """Something in the lab did not come up or did not answer in time."""


class TeardownError(RuntimeError):
    """Teardown finished but some steps failed; .errors lists them all."""

    def __init__(self, errors: Sequence[str]):
        super().__init__("lab teardown had %d error(s):\n  %s" % (len(errors), "\n  ".join(errors)))
        self.errors = list(errors)


class BerthdUnavailable(unittest.SkipTest):
    """No berthd binary to test; unittest reports the test as skipped."""


def require_root():
    if os.geteuid() != 0:
        raise unittest.SkipTest("integration tests need root (network namespaces)")


def check_lab_address(text: str):
    """Refuses any address or network outside 198.18.0.0/15."""
    net = ipaddress.ip_network(text, strict=False)
    if not (net.version == 4 and net.subnet_of(LAB_RANGE)):
        raise LabError(f"{text} is outside the lab range {LAB_RANGE}")


def run(argv: Sequence[str], timeout: float = 10.0, check: bool = True,
        input: Optional[bytes] = None) -> subprocess.CompletedProcess:
    """Runs a command to completion (bounded), capturing its output as text."""
    try:
        result = subprocess.run(list(argv), capture_output=True, timeout=timeout,
                                input=input, stdin=None if input is not None else subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        raise LabError(f"{' '.join(argv)} did not finish within {timeout} s") from e
    result.stdout = result.stdout.decode(errors="replace")
    result.stderr = result.stderr.decode(errors="replace")
    if check and result.returncode != 0:
        raise LabError(f"{' '.join(argv)} failed with status {result.returncode}: "
                       f"{result.stderr.strip() or result.stdout.strip()}")
    return result


def wait_until(predicate: Callable[[], object], timeout: float, what: str,
               interval: float = 0.05, abort: Optional[Callable[[], Optional[str]]] = None):
    """Polls predicate until it returns something truthy, which is returned.

    abort() may return a reason to give up early (e.g. the process died)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if abort is not None:
            reason = abort()
            if reason:
                raise LabError(f"gave up waiting for {what}: {reason}")
        if time.monotonic() >= deadline:
            raise LabError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


# --------------------------------------------------------------------------
# Processes


class Process:
    """A process the lab started inside one of its namespaces."""

    def __init__(self, popen: subprocess.Popen, argv: Sequence[str], log: Path, ns: str):
        self.popen = popen
        self.argv = list(argv)
        self.log = log
        self.ns = ns

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def returncode(self) -> Optional[int]:
        return self.popen.poll()

    def alive(self) -> bool:
        return self.popen.poll() is None

    def wait(self, timeout: float) -> int:
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired as e:
            raise LabError(f"{self.argv[0]} (pid {self.pid}) still running after {timeout} s") from e

    def signal(self, sig: int):
        if self.alive():
            os.kill(self.pid, sig)

    def terminate(self, timeout: float = 5.0) -> int:
        """SIGTERM, then SIGKILL if it has not exited after `timeout` seconds."""
        if self.alive():
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                return self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.kill(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                try:
                    return self.popen.wait(5.0)
                except subprocess.TimeoutExpired as e:
                    raise LabError(f"pid {self.pid} survived SIGKILL for 5 s") from e
        return self.popen.wait(0)

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def wait_for_log(self, pattern: str, timeout: float, what: Optional[str] = None) -> str:
        """Waits until the log matches the regex; raises with the log tail if
        the process dies or time runs out first."""
        regex = re.compile(pattern)

        def died():
            if self.alive():
                return None
            return f"{self.argv[0]} exited with status {self.returncode}; log tail:\n{self.log_tail()}"

        try:
            return wait_until(lambda: (m := regex.search(self.log_text())) and m.group(0),
                              timeout, what or f"/{pattern}/ in {self.log}", abort=died)
        except LabError as e:
            if self.alive():
                raise LabError(f"{e}; log tail:\n{self.log_tail()}") from None
            raise


# --------------------------------------------------------------------------
# Namespaces


class Namespace:
    def __init__(self, lab: "Lab", name: str):
        self.lab = lab
        self.name = name

    def __repr__(self):
        return f"<Namespace {self.name}>"

    def exec_argv(self, argv: Sequence[str]) -> list:
        # `ip netns exec` setns()es and then execs argv: the PID we get is argv's.
        return [IP, "netns", "exec", self.name, *argv]

    def run(self, argv: Sequence[str], timeout: float = 10.0, check: bool = True,
            input: Optional[bytes] = None) -> subprocess.CompletedProcess:
        return run(self.exec_argv(argv), timeout=timeout, check=check, input=input)

    def ip(self, *args: str, timeout: float = 10.0, check: bool = True) -> subprocess.CompletedProcess:
        return run([IP, "-n", self.name, *args], timeout=timeout, check=check)

    def spawn(self, argv: Sequence[str], log: Optional[Path | str] = None,
              env: Optional[dict] = None) -> Process:
        """Starts argv in this namespace with stdout+stderr to `log`; the lab
        stops it at teardown."""
        log_path = Path(log) if log else self.lab.path(f"{Path(argv[0]).name}-{self.lab.seq()}.log")
        with open(log_path, "ab") as out:
            popen = subprocess.Popen(self.exec_argv(argv), stdin=subprocess.DEVNULL, stdout=out,
                                     stderr=subprocess.STDOUT, env=env, start_new_session=True)
        process = Process(popen, argv, log_path, self.name)
        self.lab._processes.append(process)
        return process

    def link_exists(self, ifname: str) -> bool:
        return self.ip("link", "show", "dev", ifname, check=False).returncode == 0

    def addresses(self, ifname: str) -> list:
        """IPv4 addresses on ifname as "a.b.c.d/len" strings."""
        out = self.ip("-j", "-4", "addr", "show", "dev", ifname).stdout
        data = json.loads(out or "[]")
        return [f"{a['local']}/{a['prefixlen']}" for link in data for a in link.get("addr_info", [])]

    def link(self, ifname: str) -> dict:
        return json.loads(self.ip("-j", "-d", "link", "show", "dev", ifname).stdout)[0]


class HostNamespace(Namespace):
    """Where the server and its bridge live."""

    def create_bridge(self, name: str = DEFAULT_BRIDGE, address: str = DEFAULT_ADDRESS,
                      mtu: Optional[int] = None):
        check_lab_address(address)
        self.ip("link", "add", name, "type", "bridge")
        if mtu:
            self.ip("link", "set", name, "mtu", str(mtu))
        self.ip("addr", "add", address, "dev", name)
        self.ip("link", "set", name, "up")


class ClientNamespace(Namespace):
    """A namespace with one veth (`eth0`) whose peer sits in the host namespace."""

    def __init__(self, lab: "Lab", name: str, short: str, ifname: str, mac: str, host_ifname: str):
        super().__init__(lab, name)
        self.short = short
        self.ifname = ifname
        self.mac = mac
        self.host_ifname = host_ifname
        self.bridge: Optional[str] = None

    def __repr__(self):
        return f"<ClientNamespace {self.name} {self.ifname} {self.mac}>"


# --------------------------------------------------------------------------
# The lab

_counter = itertools.count(1)
_live_labs: "list[Lab]" = []
_live_lock = threading.RLock()
_handlers_installed = False
_teardown_running = False


def _teardown_all():
    global _teardown_running
    with _live_lock:
        _teardown_running = True
        try:
            for lab in list(reversed(_live_labs)):
                try:
                    lab.close()
                except TeardownError as e:
                    print(e, file=sys.stderr)
        finally:
            _teardown_running = False


def _on_signal(signum, frame):
    if _teardown_running:
        return  # finish the teardown in progress; atexit covers the rest
    # Unwinds through `with Lab()` blocks; atexit catches labs left open.
    raise SystemExit(128 + signum)


def _install_handlers():
    global _handlers_installed
    if _handlers_installed:
        return
    _handlers_installed = True
    reap_stale_labs()
    atexit.register(_teardown_all)
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            if signal.getsignal(sig) in (signal.SIG_DFL, signal.default_int_handler):
                signal.signal(sig, _on_signal)


def reap_stale_labs() -> list:
    """Removes what labs of dead harness processes left behind (a test runner
    killed with SIGKILL cannot tear down): namespaces named bt-<pid>-... whose
    <pid> is gone, the processes still inside them (by PID), and their
    /tmp/bt-<pid>-... directories. Labs of live processes are not touched.
    Returns what was removed; called once per process before the first lab."""
    removed, errors = [], []
    stale = re.compile(r"bt-(\d+)-\d+-")
    for name in leftover_namespaces():
        m = stale.match(name)
        if not m or int(m.group(1)) == os.getpid() or _pid_alive(int(m.group(1))):
            continue
        for pid in _netns_pids(name):
            errors.extend(_kill_pid(pid, f"left in stale {name}"))
        if run([IP, "netns", "del", name], check=False).returncode == 0:
            removed.append(name)
    tmp = Path(tempfile.gettempdir())
    for d in tmp.glob("bt-*-*-*"):
        m = stale.match(d.name)
        if m and d.is_dir() and int(m.group(1)) != os.getpid() and not _pid_alive(int(m.group(1))):
            shutil.rmtree(d, ignore_errors=True)
            removed.append(str(d))
    if removed or errors:
        print("netlab: removed leftovers of dead test runs: " + ", ".join(removed)
              + ("; errors: " + "; ".join(errors) if errors else ""), file=sys.stderr)
    return removed


class Lab:
    """A set of namespaces for one test: a host and any number of clients."""

    def __init__(self, keep: Optional[bool] = None):
        require_root()
        self.id = f"bt-{os.getpid()}-{next(_counter)}"
        self.keep = keep if keep is not None else os.environ.get("BERTH_LAB_KEEP") == "1"
        self.tmp = Path(tempfile.mkdtemp(prefix=self.id + "-"))
        self._seq = itertools.count(1)
        self._namespaces: list[Namespace] = []
        self._processes: list[Process] = []
        self._clients: list[ClientNamespace] = []
        self._host: Optional[HostNamespace] = None
        self._closed = False
        self._lock = threading.RLock()  # client() and attach*() may be called from threads
        _install_handlers()
        with _live_lock:
            _live_labs.append(self)

    # context manager -------------------------------------------------------
    def __enter__(self) -> "Lab":
        try:
            self.host()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None and issubclass(exc_type, Exception) and \
                not issubclass(exc_type, unittest.SkipTest):
            self.dump_logs()
        try:
            self.close()
        except TeardownError:
            if exc_type is None:
                raise
            # Never hide the test's own failure behind a teardown report.
            print("teardown errors after a failure:", file=sys.stderr)
            print(sys.exc_info()[1], file=sys.stderr)
        return False

    # helpers ---------------------------------------------------------------
    def seq(self) -> int:
        return next(self._seq)

    def path(self, name: str) -> Path:
        return self.tmp / name

    def subdir(self, name: str) -> Path:
        d = self.tmp / name
        d.mkdir(parents=True, exist_ok=False)
        return d

    def _add_namespace(self, cls, suffix: str, *args) -> Namespace:
        name = f"{self.id}-{suffix}"
        run([IP, "netns", "add", name])
        ns = cls(self, name, *args)
        self._namespaces.append(ns)
        ns.ip("link", "set", "lo", "up")
        return ns

    def host(self) -> HostNamespace:
        if self._host is None:
            self._host = self._add_namespace(HostNamespace, "host")
        return self._host

    def clients(self) -> list:
        return list(self._clients)

    def peer(self, name: str, host_address: str, peer_address: str) -> Namespace:
        """A namespace routed (not bridged) to the host namespace over a veth:
        host side `host_address`, peer side `peer_address` (both with a
        prefix, like "198.18.200.1/24"). It stands for an upstream network;
        the peer routes the lab's 198.18.0.0/15 back through the host."""
        check_lab_address(host_address)
        check_lab_address(peer_address)
        host = self.host()
        ns = self._add_namespace(Namespace, f"p-{name}")
        index = len(self._namespaces)
        host_if = f"vp{index}"
        ns.ip("link", "add", "eth0", "type", "veth", "peer", "name", host_if, "netns", host.name)
        ns.ip("addr", "add", peer_address, "dev", "eth0")
        ns.ip("link", "set", "eth0", "up")
        host.ip("addr", "add", host_address, "dev", host_if)
        host.ip("link", "set", host_if, "up")
        gateway = host_address.split("/")[0]
        ns.ip("route", "add", "198.18.0.0/15", "via", gateway, check=False)
        return ns

    def client(self, name: str, mac: Optional[str] = None,
               bridge: Optional[str] = None) -> ClientNamespace:
        """A new namespace with `eth0`, whose veth peer goes into the host
        namespace and onto `bridge` (default br0) if that bridge exists
        already; otherwise attach_all() enslaves it later."""
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,15}", name):
            raise LabError(f"client name {name!r}: use 1-16 of [a-z0-9-]")
        with self._lock:
            if any(c.short == name for c in self._clients):
                raise LabError(f"client {name!r} exists already")
            index = len(self._clients) + 1
            if index > 0xffff:
                raise LabError("too many clients")
            mac = mac or "02:62:74:00:%02x:%02x" % (index >> 8, index & 0xff)
            host_ifname = f"vh{index}"
            host = self.host()
            ns = self._add_namespace(ClientNamespace, f"c-{name}", name, "eth0", mac, host_ifname)
            self._clients.append(ns)
        ns.ip("link", "add", "eth0", "address", mac, "type", "veth",
              "peer", "name", host_ifname, "netns", host.name)
        ns.ip("link", "set", "eth0", "up")
        host.ip("link", "set", host_ifname, "up")
        target = bridge or DEFAULT_BRIDGE
        if host.link_exists(target):
            self.attach(ns, target)
        return ns

    def empty_client(self, name: str, mac: Optional[str] = None,
                     ifname: str = "eth0") -> ClientNamespace:
        """A client namespace with no interface but `lo`: for tests in which
        something else (e.g. `berthctl attach`) puts `ifname` into it. It is
        deleted at teardown like the others, but attach_all() leaves it alone
        (it has no veth in the host namespace); `mac` is only what the test
        expects the interface to get."""
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,15}", name):
            raise LabError(f"client name {name!r}: use 1-16 of [a-z0-9-]")
        with self._lock:
            if any(isinstance(n, ClientNamespace) and n.short == name for n in self._namespaces):
                raise LabError(f"client {name!r} exists already")
            self.host()
            return self._add_namespace(ClientNamespace, f"e-{name}", name, ifname, mac or "", "")

    def attach(self, client: ClientNamespace, bridge: str = DEFAULT_BRIDGE):
        with self._lock:
            host = self.host()
            host.ip("link", "set", client.host_ifname, "master", bridge)
            host.ip("link", "set", client.host_ifname, "up")
            client.bridge = bridge

    def attach_all(self, bridge: str = DEFAULT_BRIDGE, timeout: float = 10.0):
        """Waits (bounded) for the bridge to appear in the host namespace, then
        enslaves every client not yet on a bridge."""
        host = self.host()
        wait_until(lambda: host.link_exists(bridge), timeout, f"bridge {bridge} in {host.name}")
        with self._lock:
            for c in self._clients:
                if c.bridge is None:
                    self.attach(c, bridge)

    def dump_logs(self, lines: int = 30, file=sys.stderr):
        for p in self._processes:
            print(f"----- {p.log} ({p.argv[0]}, pid {p.pid}, status {p.returncode}) -----",
                  file=file)
            print(p.log_tail(lines), file=file)

    # teardown --------------------------------------------------------------
    def close(self):
        """Stops the lab's processes, deletes its namespaces and temp dir.
        Keeps going after each failure and raises TeardownError at the end."""
        if self._closed:
            return
        self._closed = True
        errors: list[str] = []
        for p in reversed(self._processes):
            try:
                p.terminate(timeout=5.0)
            except Exception as e:  # noqa: BLE001 - collected, reported below
                errors.append(f"stopping pid {p.pid} ({p.argv[0]}): {e}")
        # Descendants of our processes (e.g. dhcpcd's privilege-separated
        # helpers) can only live in our namespaces: stop those PIDs too.
        for ns in reversed(self._namespaces):
            try:
                for pid in _netns_pids(ns.name):
                    errors.extend(_kill_pid(pid, f"left in {ns.name}"))
            except Exception as e:  # noqa: BLE001
                errors.append(f"listing processes in {ns.name}: {e}")
        for ns in reversed(self._namespaces):
            try:
                run([IP, "netns", "del", ns.name])
            except Exception as e:  # noqa: BLE001
                errors.append(f"deleting namespace {ns.name}: {e}")
        if self.keep:
            print(f"lab {self.id}: kept {self.tmp}", file=sys.stderr)
        else:
            try:
                shutil.rmtree(self.tmp)
            except Exception as e:  # noqa: BLE001
                errors.append(f"removing {self.tmp}: {e}")
        with _live_lock:
            if self in _live_labs:
                _live_labs.remove(self)
        if errors:
            raise TeardownError(errors)


def _netns_pids(name: str) -> list:
    result = run([IP, "netns", "pids", name], check=False)
    if result.returncode != 0:
        return []
    return [int(x) for x in result.stdout.split() if x.isdigit()]


def _kill_pid(pid: int, why: str) -> list:
    """SIGTERM, bounded wait, SIGKILL. Returns errors (empty when it is gone)."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return []
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline:
        if not _pid_alive(pid):
            return []
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return []
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline:
        if not _pid_alive(pid):
            return []
        time.sleep(0.05)
    return [f"pid {pid} ({why}) survived SIGKILL"]


def _pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            # A zombie that is not our child is as good as gone.
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


# --------------------------------------------------------------------------
# Servers


@dataclasses.dataclass
class BridgeConfig:
    name: str = DEFAULT_BRIDGE
    address: str = DEFAULT_ADDRESS
    pool: tuple = DEFAULT_POOL
    lease_time: int = 600
    domain: str = "lab"
    extra: str = ""  # raw TOML lines appended inside this [[bridge]] table

    def validate(self):
        check_lab_address(self.address)
        for a in self.pool:
            check_lab_address(a)


def berthd_config(database: Path | str, bridges: Sequence[BridgeConfig] = (BridgeConfig(),),
                  log_level: str = "debug", extra: str = "") -> str:
    """The TOML berthd reads (see docs for the full format)."""

    def q(s) -> str:
        return json.dumps(str(s))  # a JSON string is a valid TOML basic string

    lines = ["[daemon]", f"database = {q(database)}", f"log_level = {q(log_level)}"]
    if extra:
        lines.append(extra.rstrip("\n"))
    for b in bridges:
        b.validate()
        lines += ["", "[[bridge]]", f"name = {q(b.name)}", f"address = {q(b.address)}",
                  f"pool = {q(b.pool[0] + '-' + b.pool[1])}", f"lease_time = {int(b.lease_time)}",
                  f"domain = {q(b.domain)}"]
        if b.extra:
            lines.append(b.extra.rstrip("\n"))
    return "\n".join(lines) + "\n"


class Server:
    kind = "server"

    def __init__(self, lab: Lab, process: Process, bridges: Sequence[BridgeConfig], workdir: Path):
        self.lab = lab
        self.process = process
        self.bridges = list(bridges)
        self.workdir = workdir

    @property
    def bridge(self) -> BridgeConfig:
        return self.bridges[0]

    @property
    def address(self) -> str:
        return self.bridge.address.split("/")[0]

    def in_pool(self, ip: str, bridge: Optional[BridgeConfig] = None) -> bool:
        lo, hi = (ipaddress.IPv4Address(a) for a in (bridge or self.bridge).pool)
        return lo <= ipaddress.IPv4Address(ip) <= hi

    def stop(self, timeout: float = 5.0) -> int:
        return self.process.terminate(timeout)

    def leases(self) -> list:
        raise NotImplementedError


class Berthd(Server):
    kind = "berthd"

    def __init__(self, lab, process, bridges, workdir, config_path: Path, db_path: Path,
                 socket_path: Optional[Path] = None):
        super().__init__(lab, process, bridges, workdir)
        self.config_path = config_path
        self.db_path = db_path
        self.socket_path = socket_path

    def leases(self) -> list:
        return read_berthd_leases(self.db_path)

    def ctl(self, *args: str, check: bool = True, timeout: float = 20.0,
            json_out: bool = False):
        """Runs berthctl against this berthd (in the host namespace). With
        json_out, parses --json output; else returns the CompletedProcess."""
        binary = berthctl_path()
        if binary is None:
            raise BerthdUnavailable("no berthctl binary: set $BERTHCTL")
        argv = [str(binary), "--socket", str(self.socket_path)]
        if json_out:
            argv.append("--json")
        r = run(argv + list(args), timeout=timeout, check=False)
        if check and r.returncode != 0:
            raise LabError(f"berthctl {' '.join(args)} failed ({r.returncode}): "
                           f"{r.stderr.strip() or r.stdout.strip()}")
        return json.loads(r.stdout) if json_out and r.returncode == 0 else r


class Dnsmasq(Server):
    kind = "dnsmasq"

    def __init__(self, lab, process, bridges, workdir, lease_file: Path):
        super().__init__(lab, process, bridges, workdir)
        self.lease_file = lease_file

    def leases(self) -> list:
        return read_dnsmasq_leases(self.lease_file)


def berthd_path() -> Optional[Path]:
    """$BERTHD, else build/server/berthd under the source tree; None if absent."""
    candidates = []
    if os.environ.get("BERTHD"):
        candidates.append(Path(os.environ["BERTHD"]))
    source = Path(os.environ.get("BERTH_SOURCE_DIR", HERE.parent.parent))
    candidates.append(source / "build" / "server" / "berthd")
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return c
    return None


def berthctl_path() -> Optional[Path]:
    env = os.environ.get("BERTHCTL")
    if env:
        return Path(env) if Path(env).exists() else None
    berthd = berthd_path()
    if berthd is not None:
        candidate = berthd.parent.parent / "cli" / "berthctl"
        if candidate.exists():
            return candidate
    return None


def start_berthd(lab: Lab, config_text: Optional[str] = None, *,
                 bridges: Sequence[BridgeConfig] = (BridgeConfig(),), log_level: str = "debug",
                 ready_timeout: float = 10.0, attach: bool = True,
                 binary: Optional[Path] = None) -> Berthd:
    """Runs `berthd --config FILE` in the host namespace and waits (bounded)
    until its log says "serving"; then enslaves waiting clients to the
    bridge(s). `config_text` may use @DATABASE@ for the lab's database path;
    without it a config is generated from `bridges`. berthd creates the
    bridges itself. Raises BerthdUnavailable (a SkipTest) with no binary."""
    binary = binary or berthd_path()
    if binary is None:
        raise BerthdUnavailable("no berthd binary: set $BERTHD or build build/server/berthd")
    workdir = lab.subdir(f"berthd-{lab.seq()}")
    db_path = workdir / "berth.db"
    config_path = workdir / "berth.toml"
    if config_text is None:
        config_text = berthd_config(db_path, bridges, log_level)
    else:
        config_text = config_text.replace("@DATABASE@", str(db_path))
    socket_path = workdir / "berthd.sock"
    if "control_socket" not in config_text:
        # The lab's own control socket, never /run/berth (house rule 5).
        config_text = re.sub(r"^\[daemon\]\n", f'[daemon]\ncontrol_socket = "{socket_path}"\n',
                             config_text, count=1, flags=re.M)
        if "control_socket" not in config_text:
            config_text = f'[daemon]\ncontrol_socket = "{socket_path}"\n' + config_text
    if not re.search(r"^\[dns\]", config_text, re.M):
        # Never forward to the machine's own resolvers (house rule 5): a
        # resolv.conf of the lab's, without nameservers, unless a test names
        # its upstreams in its own [dns] table.
        (workdir / "resolv.conf").write_text("# no upstreams in the lab\n")
        config_text += f'\n[dns]\nresolv_conf = "{workdir / "resolv.conf"}"\n'
    config_path.write_text(config_text)
    process = lab.host().spawn([str(binary), "--config", str(config_path)],
                               log=workdir / "berthd.log")
    process.wait_for_log(r"serving", ready_timeout, "berthd to log \"serving\"")
    if attach:
        for b in bridges:
            lab.attach_all(b.name)
    return Berthd(lab, process, bridges, workdir, config_path, db_path, socket_path)


def start_dnsmasq(lab: Lab, bridge: BridgeConfig = BridgeConfig(), *, create_bridge: bool = True,
                  no_ping: bool = True, log_dhcp: bool = True, lease_max: int = 1000,
                  extra_args: Sequence[str] = (), ready_timeout: float = 10.0) -> Dnsmasq:
    """Runs dnsmasq (DHCP only, no DNS) on one bridge in the host namespace,
    creating the bridge first unless told not to. It hands out the bridge
    address as router and DNS server and bridge.domain as domain."""
    bridge.validate()
    host = lab.host()
    if create_bridge and not host.link_exists(bridge.name):
        host.create_bridge(bridge.name, bridge.address)
    workdir = lab.subdir(f"dnsmasq-{lab.seq()}")
    lease_file = workdir / "dnsmasq.leases"
    iface = ipaddress.IPv4Interface(bridge.address)
    argv = [DNSMASQ, "--keep-in-foreground", "--conf-file=/dev/null", "--log-facility=-",
            "--port=0", "--no-resolv", "--no-hosts", "--user=root", "--group=root",
            f"--pid-file={workdir / 'dnsmasq.pid'}", f"--interface={bridge.name}",
            "--bind-dynamic", "--except-interface=lo", "--dhcp-authoritative",
            f"--dhcp-leasefile={lease_file}", f"--dhcp-lease-max={lease_max}",
            f"--dhcp-range={bridge.pool[0]},{bridge.pool[1]},{iface.netmask},{bridge.lease_time}",
            f"--dhcp-option=option:router,{iface.ip}",
            f"--dhcp-option=option:dns-server,{iface.ip}",
            f"--domain={bridge.domain}"]
    if no_ping:
        argv.append("--no-ping")
    if log_dhcp:
        argv.append("--log-dhcp")
    argv += list(extra_args)
    process = host.spawn(argv, log=workdir / "dnsmasq.log")
    process.wait_for_log(r"DHCP, IP range", ready_timeout, "dnsmasq to start its DHCP service")
    lab.attach_all(bridge.name)
    return Dnsmasq(lab, process, [bridge], workdir, lease_file)


def read_berthd_leases(db_path: Path | str) -> list:
    """Leases in berthd's SQLite database as dicts. The one place that knows
    the schema: adjust the query here when it changes."""
    uri = f"file:{db_path}?mode=ro"
    with sqlite3.connect(uri, uri=True, timeout=5.0) as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute(
            "SELECT bridge, ip, mac, client_id, hostname, state, expires_at FROM leases "
            "ORDER BY bridge, ip").fetchall()
    return [dict(r) for r in rows]


def read_dnsmasq_leases(path: Path | str) -> list:
    """dnsmasq's lease file (expiry mac ip hostname client-id) as the same dicts."""
    leases = []
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        return leases
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 5 or parts[0] == "duid":
            continue
        leases.append({"bridge": None, "ip": parts[2], "mac": parts[1].lower(),
                       "client_id": None if parts[4] == "*" else parts[4],
                       "hostname": None if parts[3] == "*" else parts[3], "state": "bound",
                       "expires_at": int(parts[0])})
    return leases


# --------------------------------------------------------------------------
# DHCP clients


@dataclasses.dataclass
class Lease:
    """What a client was given, read from its hook's environment."""
    event: str
    ip: str
    mask: str
    routers: list
    dns: list
    domain: Optional[str]
    lease_time: Optional[int]
    server_id: Optional[str]
    t: float

    @property
    def prefix_len(self) -> int:
        return ipaddress.IPv4Network(f"0.0.0.0/{self.mask}").prefixlen


def _int_or_none(v) -> Optional[int]:
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


class DhcpClient:
    """One real DHCP client process in a client namespace.

    acquire(): start and wait for a lease (keep_running=False: the client
    exits or is stopped once it has one). renew(): the same address again.
    release(): give it back (DHCPRELEASE)."""

    kind = ""
    configure = True  # the hook applies the lease (clients that leave it to the script)
    bound_events: tuple = ()
    release_events: tuple = ()

    def __init__(self, ns: ClientNamespace, hostname: Optional[str] = None,
                 extra_args: Sequence[str] = ()):
        self.ns = ns
        self.lab = ns.lab
        self.hostname = hostname
        self.extra_args = list(extra_args)
        self.dir = self.lab.subdir(f"{self.kind}-{ns.short}-{self.lab.seq()}")
        self.events_path = self.dir / "events.jsonl"
        self.hook = self.dir / "hook"
        flags = " --configure" if self.configure else ""
        self.hook.write_text(
            "#!/bin/sh\n"
            f"exec {PYTHON} -I {HOOK} --out {self.events_path} --kind {self.kind}{flags} -- \"$@\"\n")
        self.hook.chmod(stat.S_IRWXU)
        self.process: Optional[Process] = None
        self._runs = 0

    # events ----------------------------------------------------------------
    def events(self) -> list:
        try:
            text = self.events_path.read_text()
        except FileNotFoundError:
            return []
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def event_name(self, e: dict) -> str:
        return e["env"].get("reason", "")

    def lease_from(self, e: dict) -> Lease:
        env = e["env"]
        return Lease(event=self.event_name(e), ip=env.get("new_ip_address", ""),
                     mask=env.get("new_subnet_mask", ""),
                     routers=env.get("new_routers", "").split(),
                     dns=env.get("new_domain_name_servers", "").split(),
                     domain=env.get("new_domain_name"),
                     lease_time=_int_or_none(env.get("new_dhcp_lease_time")),
                     server_id=env.get("new_dhcp_server_identifier"), t=e["t"])

    def leases(self) -> list:
        return [self.lease_from(e) for e in self.events() if self.event_name(e) in self.bound_events]

    def lease(self) -> Optional[Lease]:
        got = self.leases()
        return got[-1] if got else None

    def wait_event(self, names: Iterable[str], after: int, timeout: float, what: str,
                   process: Optional[Process] = None) -> dict:
        names = tuple(names)
        watched = process or self.process

        def found():
            for e in self.events()[after:]:
                if self.event_name(e) in names:
                    return e
            return None

        def died():
            if watched is None or watched.alive():
                return None
            if found():
                return None
            return (f"{self.kind} exited with status {watched.returncode}; log tail:\n"
                    f"{watched.log_tail()}")

        try:
            return wait_until(found, timeout, f"{self.kind} in {self.ns.name}: {what}", abort=died)
        except LabError as e:
            if watched is not None and watched.alive():
                raise LabError(f"{e}; {self.kind} log tail:\n{watched.log_tail()}") from None
            raise

    def _spawn(self, argv: Sequence[str]) -> Process:
        self._runs += 1
        self.process = self.ns.spawn(argv, log=self.dir / f"{self.kind}-{self._runs}.log")
        return self.process

    def running(self) -> bool:
        return self.process is not None and self.process.alive()

    def stop(self, timeout: float = 5.0):
        if self.process is not None:
            self.process.terminate(timeout)

    def acquire(self, timeout: float = 20.0, keep_running: bool = True) -> Lease:
        raise NotImplementedError

    def renew(self, timeout: float = 20.0) -> Lease:
        raise NotImplementedError

    def release(self, timeout: float = 10.0):
        raise NotImplementedError


class Udhcpc(DhcpClient):
    """busybox udhcpc; the hook configures the address (udhcpc leaves that
    to its script)."""

    kind = "udhcpc"
    bound_events = ("bound", "renew")
    release_events = ("deconfig",)

    def event_name(self, e: dict) -> str:
        return e["args"][0] if e["args"] else ""

    def lease_from(self, e: dict) -> Lease:
        env = e["env"]
        return Lease(event=self.event_name(e), ip=env.get("ip", ""), mask=env.get("subnet", ""),
                     routers=env.get("router", "").split(), dns=env.get("dns", "").split(),
                     domain=env.get("domain"), lease_time=_int_or_none(env.get("lease")),
                     server_id=env.get("serverid"), t=e["t"])

    def _argv(self, once: bool, requested: Optional[str] = None) -> list:
        argv = [BUSYBOX, "udhcpc", "-f", "-i", self.ns.ifname, "-s", str(self.hook),
                "-t", "5", "-T", "1", "-n"]
        if once:
            argv.append("-q")
        if requested:
            argv += ["-r", requested]
        if self.hostname:
            argv += ["-x", f"hostname:{self.hostname}"]
        return argv + self.extra_args

    def acquire(self, timeout: float = 20.0, keep_running: bool = True,
                requested: Optional[str] = None) -> Lease:
        if self.running():
            raise LabError("udhcpc is already running; use renew()")
        before = len(self.events())
        process = self._spawn(self._argv(once=not keep_running, requested=requested))
        e = self.wait_event(("bound",), before, timeout, "a lease (bound)")
        if not keep_running:
            process.wait(timeout)
        return self.lease_from(e)

    def renew(self, timeout: float = 20.0) -> Lease:
        """A running udhcpc renews on SIGUSR1 (unicast REQUEST to the server);
        a stopped one is started again asking for its last address."""
        before = len(self.events())
        if self.running():
            self.process.signal(signal.SIGUSR1)
            e = self.wait_event(("renew", "bound"), before, timeout, "a renewed lease")
            return self.lease_from(e)
        last = self.lease()
        return self.acquire(timeout, keep_running=False, requested=last.ip if last else None)

    def release(self, timeout: float = 10.0):
        """SIGUSR2: udhcpc sends DHCPRELEASE and deconfigures; then it is stopped."""
        if not self.running():
            raise LabError("udhcpc is not running; acquire(keep_running=True) first")
        before = len(self.events())
        self.process.signal(signal.SIGUSR2)
        self.wait_event(("deconfig",), before, timeout, "the release (deconfig)")
        self.stop()


class Dhclient(DhcpClient):
    """ISC dhclient in the foreground (-d) with its own config, lease and pid
    files. It has no renew signal: renew() restarts it on the same lease file,
    so it asks for its address again (INIT-REBOOT, event REBOOT)."""

    kind = "dhclient"
    bound_events = ("BOUND", "RENEW", "REBIND", "REBOOT")
    release_events = ("RELEASE",)

    def __init__(self, ns, hostname=None, extra_args=()):
        super().__init__(ns, hostname, extra_args)
        self.conf = self.dir / "dhclient.conf"
        self.lease_file = self.dir / "dhclient.leases"
        self.pid_file = self.dir / "dhclient.pid"
        lines = ["request subnet-mask, broadcast-address, routers, domain-name,",
                 "        domain-name-servers, host-name;",
                 "timeout 20;", "retry 1;", "initial-interval 1;"]
        if hostname:
            lines.insert(0, f"send host-name \"{hostname}\";")
        self.conf.write_text("\n".join(lines) + "\n")

    def _base(self) -> list:
        return [DHCLIENT, "-4", "-cf", str(self.conf), "-lf", str(self.lease_file),
                "-pf", str(self.pid_file), "-sf", str(self.hook)]

    def acquire(self, timeout: float = 20.0, keep_running: bool = True) -> Lease:
        if self.running():
            raise LabError("dhclient is already running; use renew()")
        before = len(self.events())
        self._spawn(self._base() + ["-d", *self.extra_args, self.ns.ifname])
        e = self.wait_event(self.bound_events, before, timeout, "a lease")
        if not keep_running:
            self.stop()
        return self.lease_from(e)

    def stop(self, timeout: float = 5.0):
        # SIGTERM ends dhclient without a DHCPRELEASE; the lease file stays.
        super().stop(timeout)

    def renew(self, timeout: float = 20.0) -> Lease:
        keep = self.running()
        self.stop()
        return self.acquire(timeout, keep_running=keep)

    def release(self, timeout: float = 10.0):
        """`dhclient -r`: stops the running instance (via the pid file) and
        sends DHCPRELEASE for the lease in the lease file."""
        before = len(self.events())
        if self.process is not None and self.process.alive():
            # `-r` stops the running instance through the pid file, which a
            # freshly (re)started dhclient writes a moment after binding.
            def pid_written():
                try:
                    return self.pid_file.read_text().strip() == str(self.process.pid)
                except FileNotFoundError:
                    return False
            wait_until(pid_written, timeout, "dhclient to write its pid file")
        runner = self.ns.spawn(self._base() + ["-r", self.ns.ifname],
                               log=self.dir / f"dhclient-release-{self.lab.seq()}.log")
        try:
            self.wait_event(self.release_events, before, timeout, "the release", process=runner)
        except LabError:
            # `-r` stops the running dhclient and then reads the lease file;
            # when that instance was still writing it, `-r` finds no lease and
            # exits quietly. The file is settled now: release again.
            runner.wait(timeout)
            runner = self.ns.spawn(self._base() + ["-r", self.ns.ifname],
                                   log=self.dir / f"dhclient-release-{self.lab.seq()}.log")
            self.wait_event(self.release_events, before, timeout, "the release (second -r)",
                            process=runner)
        runner.wait(timeout)
        if self.process is not None:
            self.process.wait(timeout)


class Dhcpcd(DhcpClient):
    """dhcpcd 9 in the foreground (-B), IPv4 only. It configures the address
    itself; the hook only records. Its run and database directories are
    fixed at build time, so each call runs in its own mount namespace (ip
    netns exec makes one) with per-client directories bound over /run and
    /var/lib/dhcpcd: clients never see each other's state or the host's."""

    kind = "dhcpcd"
    configure = False
    bound_events = ("BOUND", "RENEW", "REBIND", "REBOOT")
    release_events = ("RELEASE", "STOP")

    def __init__(self, ns, hostname=None, extra_args=()):
        super().__init__(ns, hostname, extra_args)
        self.run_dir = self.dir / "run"
        self.db_dir = self.dir / "db"
        self.run_dir.mkdir()
        self.db_dir.mkdir()
        self.conf = self.dir / "dhcpcd.conf"
        self.conf.write_text("\n".join([
            "ipv4only", "noipv4ll", "noarp", "nohook resolv.conf",
            "option domain_name_servers, domain_name, host_name, subnet_mask, routers",
            "require dhcp_server_identifier",
            "timeout 20", ""]))

    def _wrap(self, argv: Sequence[str]) -> list:
        script = ("mount --bind \"$1\" /run && mount --bind \"$2\" /var/lib/dhcpcd && "
                  "shift 2 && exec \"$@\"")
        return ["/bin/sh", "-c", script, "sh", str(self.run_dir), str(self.db_dir), *argv]

    def _base(self) -> list:
        return [DHCPCD, "-4", "-f", str(self.conf), "-c", str(self.hook)]

    def acquire(self, timeout: float = 20.0, keep_running: bool = True) -> Lease:
        if self.running():
            raise LabError("dhcpcd is already running; use renew()")
        before = len(self.events())
        argv = self._base() + ["-B"]
        if not keep_running:
            argv.append("-1")
        if self.hostname:
            argv += ["-h", self.hostname]
        process = self._spawn(self._wrap(argv + self.extra_args + [self.ns.ifname]))
        e = self.wait_event(self.bound_events, before, timeout, "a lease")
        if not keep_running:
            process.wait(timeout)
        return self.lease_from(e)

    def control(self, flag: str, timeout: float = 10.0) -> subprocess.CompletedProcess:
        """Sends a command (-n rebind, -k release, -x exit) to the running dhcpcd."""
        return self.ns.run(self._wrap([DHCPCD, "-4", flag, self.ns.ifname]), timeout=timeout)

    def renew(self, timeout: float = 20.0) -> Lease:
        before = len(self.events())
        if self.running():
            self.control("-n")
            e = self.wait_event(self.bound_events, before, timeout, "a renewed lease")
            return self.lease_from(e)
        return self.acquire(timeout, keep_running=False)

    def release(self, timeout: float = 10.0):
        if not self.running():
            raise LabError("dhcpcd is not running; acquire(keep_running=True) first")
        before = len(self.events())
        self.control("-k")
        # dhcpcd 9 sends DHCPRELEASE, reports STOP/STOPPED (not RELEASE) and
        # exits once its only interface is released.
        self.wait_event(self.release_events, before, timeout, "the release")
        self.process.wait(timeout)


CLIENTS = {"udhcpc": Udhcpc, "dhclient": Dhclient, "dhcpcd": Dhcpcd}


# --------------------------------------------------------------------------
# Raw frames


def send_raw_frames(ns: Namespace, ifname: str, frames: Sequence[bytes],
                    capture_seconds: float = 0.0, capture: str = "dhcp-client",
                    max_frames: int = 64) -> list:
    """Sends whole Ethernet frames (scapy, AF_PACKET) out of ifname in `ns`.

    With capture_seconds > 0, also returns the frames that arrived on ifname
    during that time (after the sends), filtered by `capture`:
    "dhcp-client" (UDP to port 68), "udp" or "all"."""
    if capture_seconds < 0 or capture_seconds > 30:
        raise LabError("capture_seconds must be within 0..30")
    request = {"ifname": ifname, "frames": [bytes(f).hex() for f in frames],
               "capture_seconds": capture_seconds, "capture": capture, "max_frames": max_frames}
    result = ns.run([PYTHON, "-I", str(RAWFRAMES)], timeout=capture_seconds + 30,
                    input=json.dumps(request).encode())
    reply = json.loads(result.stdout)
    return [bytes.fromhex(h) for h in reply["captured"]]


# --------------------------------------------------------------------------
# Leftover checks (for tests of the harness itself)


def leftover_namespaces(prefix: str = "bt-") -> list:
    out = run([IP, "netns", "list"]).stdout
    return [line.split()[0] for line in out.splitlines() if line.startswith(prefix)]


class ControlClient:
    """HTTP/1.1 to berthd's control socket, for tests that need many requests
    fast (berthctl would start a process for each)."""

    def __init__(self, socket_path: Path | str, timeout: float = 10.0):
        import http.client
        import socket as _socket

        class _Conn(http.client.HTTPConnection):
            def connect(self):
                self.sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
                self.sock.settimeout(timeout)
                self.sock.connect(str(socket_path))

        self._conn = _Conn("localhost", timeout=timeout)

    def request(self, method: str, path: str, body=None) -> tuple:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data is not None else {}
        self._conn.request(method, path, body=data, headers=headers)
        r = self._conn.getresponse()
        text = r.read().decode(errors="replace")
        try:
            parsed = json.loads(text) if text else None
        except json.JSONDecodeError:
            parsed = text
        return r.status, parsed

    def close(self):
        self._conn.close()
