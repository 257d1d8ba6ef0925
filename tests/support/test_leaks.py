"""The leak report finds a process naming the session's directory, and only such."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support import leaks
from tests.support.processes import Processes


def test_a_process_naming_the_directory_is_found_and_stopped(
    tmp_path: Path, processes: Processes
) -> None:
    base, sibling = tmp_path / "pytest-1", tmp_path / "pytest-13"
    sleeper = "import time; time.sleep(60)"
    ours = subprocess.Popen([sys.executable, "-c", sleeper, str(base / "sites.yaml")])
    theirs = subprocess.Popen([sys.executable, "-c", sleeper, str(sibling / "sites.yaml")])
    try:
        found = [pid for pid, _argv in leaks.left_running(base)]
        assert found == [ours.pid]
        leaks.stop(found)
        assert ours.wait(timeout=10) != 0
        assert theirs.poll() is None
    finally:
        for p in (ours, theirs):
            p.kill()
            p.wait()
