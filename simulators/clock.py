"""Simulated time: starts at `--start` and runs `--speed` times faster than the wall clock."""

from __future__ import annotations

import time
from datetime import UTC, datetime


class SimClock:
    def __init__(self, start: float | None = None, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be > 0, got {speed}")
        self.start = time.time() if start is None else start
        self.speed = speed
        self._wall0 = time.monotonic()

    def now(self) -> float:
        """Simulated UTC epoch seconds."""
        return self.start + (time.monotonic() - self._wall0) * self.speed

    def now_dt(self) -> datetime:
        return datetime.fromtimestamp(self.now(), UTC)


def parse_start(text: str | None) -> float | None:
    """ISO 8601; a time without offset is taken as UTC."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"--start {text!r}: expected ISO 8601, e.g. 2025-01-01T00:00:00+09:00"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
