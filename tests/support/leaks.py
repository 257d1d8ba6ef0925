"""Processes a test run left behind: any still running whose command line names the
session's temporary directory (every server and component the tests start is given
its files there). One left running could later meet a new server on a reused free
port and write into another test's stores; the run's summary names them, and they
are stopped."""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path


def left_running(basetemp: Path) -> list[tuple[int, str]]:
    """(pid, command line) of the processes, other than this one, naming `basetemp`."""
    # Its files, not a sibling's: pytest-1/ must not match pytest-13/.
    mark, found = f"{basetemp}{os.sep}", []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # gone meanwhile, or not ours to read
        if mark in argv:
            found.append((int(entry.name), argv.strip()))
    return found


def stop(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(OSError):  # already gone
            os.kill(pid, signal.SIGKILL)
