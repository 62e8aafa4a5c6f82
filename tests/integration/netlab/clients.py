"""Real DHCP clients (busybox udhcpc, ISC dhclient, dhcpcd) in client
namespaces; each records what it was given through hooks/dhcp_hook.py."""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import re
import signal
import stat
import subprocess
from typing import Iterable, Optional, Sequence

from .core import BUSYBOX, DHCLIENT, DHCPCD, HOOK, PYTHON, LabError, wait_until
from .namespaces import ClientNamespace
from .process import Process


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
        # The hook may be writing a line as we read: only whole lines count.
        whole = text[:text.rfind("\n") + 1]
        return [json.loads(line) for line in whole.splitlines() if line.strip()]

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
    family = "-4"                  # dhcpcd's address family flag
    acquire_timeout = 20.0
    acquired = "a lease"           # what acquire() waits for, for its error

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
        return [DHCPCD, self.family, "-f", str(self.conf), "-c", str(self.hook)]

    def acquire(self, timeout: Optional[float] = None, keep_running: bool = True) -> Lease:
        """Starts dhcpcd and waits for one of bound_events. keep_running=False:
        one shot (-1); dhcpcd exits then (over IPv6 taking its addresses off
        eth0 but sending no RELEASE, so the server keeps the binding)."""
        timeout = self.acquire_timeout if timeout is None else timeout
        if self.running():
            raise LabError("dhcpcd is already running; use renew()")
        before = len(self.events())
        argv = self._base() + ["-B"]
        if not keep_running:
            argv.append("-1")
        if self.hostname:
            argv += ["-h", self.hostname]
        process = self._spawn(self._wrap(argv + self.extra_args + [self.ns.ifname]))
        e = self.wait_event(self.bound_events, before, timeout, self.acquired)
        if not keep_running:
            process.wait(timeout)
        return self.lease_from(e)

    def control(self, flag: str, timeout: float = 10.0) -> subprocess.CompletedProcess:
        """Sends a command (-n rebind, -k release, -x exit, -U dump) to the
        running dhcpcd, through its control socket in the client's /run."""
        return self.ns.run(self._wrap([DHCPCD, self.family, flag, self.ns.ifname]),
                           timeout=timeout)

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


@dataclasses.dataclass
class Lease6:
    """What a DHCPv6 client was given, read from dhcpcd's hook variables
    (new_dhcp6_*; `env` has them all). No addresses after an information
    request (stateless)."""
    event: str
    addresses: list
    dns: list
    domains: list
    server_id: Optional[str]
    t: float
    env: dict


class Dhcpcd6(Dhcpcd):
    """dhcpcd 9 for IPv6 only (-6), in the foreground (-B). It solicits a
    router and follows the RA: the M flag starts a stateful exchange (event
    BOUND6), the O flag alone an information request (INFORM6). It
    configures what it gets itself (in the client's namespace); the hook
    only records. Confined as Dhcpcd is: its own config (-f) and hook script
    (-c, so none of the system's dhcpcd-run-hooks run and resolv.conf is
    never written), its own run and database directories bound over /run
    and /var/lib/dhcpcd in the mount namespace `ip netns exec` makes, and
    a DUID made from the client's MAC (`duid ll`) rather than from the
    machine's UUID, which every client would share."""

    bound_events = ("BOUND6", "RENEW6", "REBIND6", "REBOOT6", "INFORM6")
    release_events = ("RELEASE6", "STOP6", "STOPPED")
    family = "-6"
    acquire_timeout = 30.0
    acquired = "a DHCPv6 lease or information"

    def __init__(self, ns, hostname=None, extra_args=()):
        super().__init__(ns, hostname, extra_args)
        self.conf.write_text("\n".join([
            "ipv6only", "duid ll", "nohook resolv.conf",
            "option dhcp6_name_servers, dhcp6_domain_search",
            "timeout 20", ""]))

    def _base(self) -> list:
        return super()._base() + ["-d"]

    def lease_from(self, e: dict) -> Lease6:
        env = e["env"]
        addresses = [v for k, v in sorted(env.items())
                     if re.fullmatch(r"new_dhcp6_ia_na\d+_ia_addr\d+", k)]
        return Lease6(event=self.event_name(e), addresses=addresses,
                      dns=env.get("new_dhcp6_name_servers", "").split(),
                      domains=env.get("new_dhcp6_domain_search", "").split(),
                      server_id=env.get("new_dhcp6_server_id"), t=e["t"], env=env)

    def dump(self) -> dict:
        """`dhcpcd -6 -U`: the running instance's DHCPv6 state as variables."""
        out = self.control("-U").stdout
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def lease_file(self):
        """The DHCPv6 reply dhcpcd keeps, in the client's own database dir."""
        return self.db_dir / f"{self.ns.ifname}.lease6"


CLIENTS = {"udhcpc": Udhcpc, "dhclient": Dhclient, "dhcpcd": Dhcpcd}
