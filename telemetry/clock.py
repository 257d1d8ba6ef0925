"""The platform's clock: the wall clock, or one shifted and sped up for test runs.

Unset, `now()` is `time.time()`. With `ENERGY_CLOCK_START` (ISO 8601), the
clock reads START at `ENERGY_CLOCK_ANCHOR` (an ISO 8601 wall time; default:
when the process first asked) and from there runs `ENERGY_CLOCK_SPEED`
(default 1) times as fast as the wall clock. Processes given the same three
values agree on the time, so a night or an hour passes in a minute for the
edge agent (the readings' and status's timestamps) and `alerts` (its passes,
silences and deliveries) alike. The collector and the rollups stay on the
wall clock: a shifted clock must stay in the past (within the collector's
`max_age_s`, and the rollup's `--lookback` if its output is wanted).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

ENV_START, ENV_SPEED, ENV_ANCHOR = "ENERGY_CLOCK_START", "ENERGY_CLOCK_SPEED", "ENERGY_CLOCK_ANCHOR"


class ClockError(ValueError):
    """A clock variable that does not parse."""


@dataclass(frozen=True)
class Clock:
    start: float | None = None  # None: the wall clock
    anchor: float = 0.0  # the wall time at which the clock reads `start`
    speed: float = 1.0

    def now(self) -> float:
        """UTC epoch seconds."""
        wall = time.time()
        if self.start is None:
            return wall
        return self.start + (wall - self.anchor) * self.speed


def clock_from(env: Mapping[str, str]) -> Clock:
    """The clock the variables describe; ClockError naming the variable if one is wrong."""
    start = env.get(ENV_START)
    if not start:
        for name in (ENV_SPEED, ENV_ANCHOR):
            if env.get(name):
                raise ClockError(f"{name} is set without {ENV_START}")
        return Clock()
    anchor = env.get(ENV_ANCHOR)
    try:
        speed = float(env.get(ENV_SPEED) or 1.0)
    except ValueError:
        raise ClockError(f"{ENV_SPEED}={env[ENV_SPEED]!r}: not a number") from None
    if not 0 < speed <= 1_000_000:
        raise ClockError(f"{ENV_SPEED}={speed:g}: must be in (0, 1000000]")
    return Clock(parse_instant(ENV_START, start),
                 parse_instant(ENV_ANCHOR, anchor) if anchor else time.time(), speed)  # fmt: skip


def parse_instant(name: str, text: str) -> float:
    """Epoch seconds of an ISO 8601 time with its offset; ClockError naming `name` if not.

    A time without offset is refused, not taken as UTC or local time: the city
    runs on KST and its machines often on UTC, so a guess would be nine hours
    off without a word (docs/DECISIONS.md, "One clock").
    """
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ClockError(
            f"{name}={text!r}: not ISO 8601 (e.g. 2026-01-05T03:50:00+09:00)"
        ) from None
    if moment.tzinfo is None:
        raise ClockError(f"{name}={text!r}: give the offset (e.g. +09:00 or Z)")
    return moment.timestamp()


_clock: Clock | None = None


def platform_clock() -> Clock:
    """The process's clock, read from the environment once (ClockError if it is wrong)."""
    global _clock
    if _clock is None:
        _clock = clock_from(os.environ)
    return _clock


def now() -> float:
    """Epoch seconds on the platform's clock."""
    return platform_clock().now()


def now_utc() -> datetime:
    return datetime.fromtimestamp(now(), UTC)
