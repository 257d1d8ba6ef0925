"""Component processes of a local platform: start, watch, stop in order.

Each child is a `python -m <package>` process in its own session with its
output in a log file; a terminal's Ctrl-C reaches only the runner, which then
stops the children in the order it chooses.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from devstack._process import spawn_logged
from devstack.errors import DevstackError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STOP_TIMEOUT_S = 10.0


def python_module(module: str, *args: str) -> list[str]:
    """argv for `python -m module args...` with this interpreter."""
    return [sys.executable, "-m", module, *args]


@dataclass
class Child:
    """One component process; its stdout and stderr go to its log file."""

    name: str
    argv: list[str]
    log: Path
    ports: str = ""
    proc: subprocess.Popen[bytes] | None = None
    reported: bool = False

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def returncode(self) -> int | None:
        return self.proc.returncode if self.proc else None

    def start(self, env: dict[str, str]) -> None:
        self.proc = spawn_logged(self.argv, self.log, env, cwd=PROJECT_ROOT)

    def signal(self, sig: int) -> None:
        if self.proc is not None and self.running:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(sig)

    def wait(self, timeout: float) -> bool:
        """True once the process has exited (within timeout)."""
        if self.proc is None:
            return True
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        return True

    def kill(self) -> None:
        if self.proc is not None and self.running:
            self.proc.kill()
            self.proc.wait()

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def wait_for_line(self, marker: str, timeout: float) -> str:
        """Wait until the log has a line starting with marker; that line."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.log.exists():
                for line in self.log.read_text(errors="replace").splitlines():
                    if line.startswith(marker):
                        return line
            if not self.running:
                raise DevstackError(f"{self.name} exited before {marker}:\n{self.log_tail()}")
            time.sleep(0.1)
        raise DevstackError(
            f"{self.name}: no {marker} line after {timeout:.0f} s:\n{self.log_tail()}"
        )


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds of a process (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def newly_exited(children: Iterable[Child]) -> list[Child]:
    """Children that have exited and were not reported yet (each is reported once)."""
    gone = [c for c in children if not c.running and not c.reported]
    for child in gone:
        child.reported = True
    return gone


def stop_in_order(children: Iterable[Child], rank: Callable[[Child], int]) -> None:
    """SIGTERM to every child, lowest rank first; SIGKILL what lingers past the timeout."""
    order = sorted(children, key=rank)
    for child in order:
        child.signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    for child in order:
        if not child.wait(max(0.1, deadline - time.monotonic())):
            child.kill()
