"""Processes the lab started: waiting for them and their logs, and stopping
them (and anything left in the lab's namespaces) by PID."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Optional, Sequence

from .core import IP, LabError, run, wait_until


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
