"""Simulated time: the platform's clock (telemetry.clock) started at `--start`, run at `--speed`.

The simulators use the same clock as the edge agent and `alerts`, so a run
given the same start and speed agrees with them, and `--start` reads times as
ENERGY_CLOCK_START does: ISO 8601 with an offset, a time without one refused.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from telemetry.clock import Clock, parse_instant


@dataclass(frozen=True)
class SimClock(Clock):
    start: float  # simulated time always has a start: never the bare wall clock

    @classmethod
    def starting(cls, start: float | None = None, speed: float = 1.0) -> SimClock:
        """Reads `start` (default: now) from now on and runs `speed` times as fast."""
        if speed <= 0:
            raise ValueError(f"speed must be > 0, got {speed}")
        wall = time.time()
        return cls(start=wall if start is None else start, anchor=wall, speed=speed)

    def now_dt(self) -> datetime:
        return datetime.fromtimestamp(self.now(), UTC)


def parse_start(text: str | None) -> float | None:
    """`--start` as epoch seconds (None: now); a ValueError naming the flag if it is wrong."""
    return None if text is None else parse_instant("--start", text)
