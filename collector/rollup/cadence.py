"""When the next pass starts: one every interval, counted from the passes' starts.

The loops first paused the interval after each pass, which stretched the cadence
by the pass itself: in a city whose passes take half the interval, a reading's
figures waited the interval plus two passes, and the busier the city the longer.
Counted from the last start, the next pass begins `interval` after it, or after a
short pause when the pass ran over (so that the collectors and InfluxDB, which share
the cores, get them): a reading waits at most the interval and one pass.
"""

from __future__ import annotations

import time

MIN_PAUSE_S = 1.0


def pause(started: float, interval_s: float, now: float | None = None) -> float:
    """Seconds to wait before the next pass, the last having started at `started`
    (time.monotonic())."""
    elapsed = (time.monotonic() if now is None else now) - started
    return max(min(MIN_PAUSE_S, interval_s), interval_s - elapsed)
