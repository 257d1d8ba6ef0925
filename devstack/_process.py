"""A daemon child process with its output in a log file and a reliable stop."""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from devstack.errors import StartupError, tail

# Every live child, so an interpreter exit never leaves daemons holding ports.
_live: set[subprocess.Popen[bytes]] = set()


@atexit.register
def _kill_leftovers() -> None:
    for proc in list(_live):
        _kill_group(proc)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process and its children (nginx workers outlive a killed master)."""
    # Each daemon leads its own session, so its pid is its process group.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def spawn_logged(
    argv: Sequence[str], log: Path, env: dict[str, str] | None, cwd: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start argv in its own session with stdout and stderr appended to log.

    The own session keeps a terminal's Ctrl-C from reaching the child directly;
    whoever started it decides when it stops.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        return subprocess.Popen(
            list(argv),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )


class Daemon:
    """One foreground daemon process; stdout and stderr go to ``output_log``."""

    def __init__(
        self, name: str, argv: Sequence[str], output_log: Path, env: dict[str, str] | None = None
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.output_log = output_log
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def spawn(self) -> None:
        self.proc = spawn_logged(self.argv, self.output_log, self.env)
        _live.add(self.proc)

    def wait_until(
        self, ready: Callable[[], bool], timeout: float, log_tail: Callable[[], str]
    ) -> None:
        """Poll ``ready`` until true; StartupError if the process exits or time runs out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running:
                code = self.proc.returncode if self.proc else None
                raise StartupError(self.name, f"process exited with code {code}", log_tail())
            if ready():
                return
            time.sleep(0.05)
        self.kill()
        raise StartupError(self.name, f"not ready after {timeout:.0f} s", log_tail())

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM (so the daemon saves its state), then SIGKILL if it lingers."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                _kill_group(self.proc)
                self.proc.wait()
        self._forget()

    def kill(self) -> None:
        """SIGKILL: a crash, nothing is saved."""
        if self.proc is None:
            return
        # Even if the leader already exited, its children may still run.
        _kill_group(self.proc)
        self.proc.wait()
        self._forget()

    def _forget(self) -> None:
        _live.discard(self.proc)  # type: ignore[arg-type]
        self.proc = None


def log_tails(*logs: Path, lines: int = 40) -> str:
    """Tails of several logs, each under a header with its file name."""
    return "\n".join(f"[{p.name}]\n{tail(p, lines)}" for p in logs if p.exists())
