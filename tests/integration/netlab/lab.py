"""The lab: a host namespace and its clients for one test, and its teardown
(on exit, at interpreter exit, on SIGTERM/SIGINT, and of labs whose runner
was SIGKILLed)."""

from __future__ import annotations

import atexit
import itertools
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import unittest
from pathlib import Path
from typing import Optional

from .core import (DEFAULT_BRIDGE, IP, LabError, TeardownError, check_lab_address, require_root,
                   run, wait_until)
from .namespaces import ClientNamespace, HostNamespace, Namespace
from .process import Process, _kill_pid, _netns_pids, _pid_alive


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



def leftover_namespaces(prefix: str = "bt-") -> list:
    out = run([IP, "netns", "list"]).stdout
    return [line.split()[0] for line in out.splitlines() if line.startswith(prefix)]
