"""Waiting for a condition in tests that drive real processes, with their logs on failure."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest


def wait_for(
    what: str, check: Callable[[], bool], logs: Callable[[], str], timeout: float = 60
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}\n{logs()}")
