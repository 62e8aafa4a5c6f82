"""What every part of the harness uses: tool paths, the lab's address range
and defaults, its errors, and commands and waits that are always bounded."""

from __future__ import annotations

import ipaddress
import os
import shutil
import subprocess
import time
import unittest
from pathlib import Path
from typing import Callable, Optional, Sequence

# tests/integration: the hooks, the raw-frame helper and the tests live here.
HERE = Path(__file__).resolve().parent.parent
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
LAB_RANGE6 = ipaddress.IPv6Network("fd00::/8")

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
    """Refuses any address or network outside 198.18.0.0/15 and fd00::/8."""
    net = ipaddress.ip_network(text, strict=False)
    inside = net.subnet_of(LAB_RANGE) if net.version == 4 else net.subnet_of(LAB_RANGE6)
    if not inside:
        raise LabError(f"{text} is outside the lab ranges {LAB_RANGE} and {LAB_RANGE6}")


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
