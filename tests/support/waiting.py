"""Polling with a deadline: the one way the tests wait for something to happen.

`wait_until` fails the test when the condition never holds; `true_within` only
says whether it held, for tests that assert it with their own details or that
check that something does NOT happen.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    condition: Callable[[], T],
    timeout: float,
    what: str = "the condition",
    *,
    interval: float = 0.1,
    logs: Callable[[], str] | None = None,
    give_up: Callable[[], object] | None = None,
) -> T:
    """Call `condition` every `interval` s until it returns something truthy; return that.

    After `timeout` s it fails (AssertionError) naming `what`, with the last value and
    `logs()` (e.g. a process's log tail). `give_up`: checked before each try; when it
    returns something truthy (e.g. "collector exited 1"), the wait fails at once with it.
    """
    deadline = time.monotonic() + timeout
    last: T | None = None
    while True:
        reason = give_up() if give_up is not None else None
        if reason:
            _fail(f"gave up waiting for {what}: {reason}", logs)
        last = condition()
        if last:
            return last
        if time.monotonic() >= deadline:
            _fail(f"timed out after {timeout:g} s waiting for {what} (last: {last!r})", logs)
        time.sleep(interval)


def true_within(condition: Callable[[], object], timeout: float, interval: float = 0.1) -> bool:
    """Whether `condition()` became truthy within `timeout` s (one last look at the deadline).

    Never fails by itself: `assert true_within(...), details`, or `not true_within(...)`
    for something that must not happen.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return bool(condition())


def _fail(message: str, logs: Callable[[], str] | None) -> None:
    raise AssertionError(message + (f"\n{logs()}" if logs is not None else ""))
