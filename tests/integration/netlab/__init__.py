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

The harness is split by concern; every name is importable from `netlab`
itself, as the tests do:

    core        tool paths, the lab range, errors, bounded run() and wait_until()
    process     Process, and stopping PIDs left in the lab's namespaces
    namespaces  Namespace, HostNamespace, ClientNamespace
    lab         Lab, its teardown, reap_stale_labs(), leftover_namespaces()
    servers     BridgeConfig, Server
    berthd      berthd_config(), start_berthd(), Berthd, ControlClient, binary paths
    dnsmasq     start_dnsmasq(), Dnsmasq
    leasefiles  read_berthd_leases(), read_dnsmasq_leases()
    clients     Lease, DhcpClient, Udhcpc, Dhclient, Dhcpcd, CLIENTS; Lease6, Dhcpcd6
    frames      send_raw_frames()
    libvirt     LEASESHELPER, leaseshelper_world()
"""

from .berthd import (Berthd, ControlClient, berthctl_path, berthd_config, berthd_path,
                     start_berthd)
from .clients import CLIENTS, DhcpClient, Dhclient, Dhcpcd, Dhcpcd6, Lease, Lease6, Udhcpc
from .core import (BUSYBOX, DEFAULT_ADDRESS, DEFAULT_BRIDGE, DEFAULT_POOL, DHCLIENT, DHCPCD,
                   DNSMASQ, HERE, HOOK, IP, LAB_RANGE, PYTHON, RAWFRAMES, BerthdUnavailable,
                   LabError, TeardownError, check_lab_address, require_root, run, wait_until)
from .dnsmasq import Dnsmasq, start_dnsmasq
from .frames import send_raw_frames
from .lab import Lab, leftover_namespaces, reap_stale_labs
from .leasefiles import read_berthd_leases, read_dnsmasq_leases
from .libvirt import LEASESHELPER, leaseshelper_world
from .namespaces import ClientNamespace, HostNamespace, Namespace
from .process import Process
from .servers import BridgeConfig, Server

# Private helpers netlab.py had at module level, for the tests that reach
# for them (test_harness_dnsmasq checks PIDs with _pid_alive).
from .clients import _int_or_none  # noqa: F401
from .process import _kill_pid, _netns_pids, _pid_alive  # noqa: F401

__all__ = [
    "BUSYBOX", "CLIENTS", "LEASESHELPER", "DEFAULT_ADDRESS", "DEFAULT_BRIDGE", "DEFAULT_POOL", "DHCLIENT", "DHCPCD",
    "DNSMASQ", "HERE", "HOOK", "IP", "LAB_RANGE", "PYTHON", "RAWFRAMES",
    "Berthd", "BerthdUnavailable", "BridgeConfig", "ClientNamespace", "ControlClient", "Dhclient",
    "Dhcpcd", "Dhcpcd6", "DhcpClient", "Dnsmasq", "HostNamespace", "Lab", "LabError", "Lease",
    "Lease6", "Namespace", "Process", "Server", "TeardownError", "Udhcpc",
    "berthctl_path", "berthd_config", "berthd_path", "check_lab_address", "leaseshelper_world", "leftover_namespaces",
    "read_berthd_leases", "read_dnsmasq_leases", "reap_stale_labs", "require_root", "run",
    "send_raw_frames", "start_berthd", "start_dnsmasq", "wait_until",
]
