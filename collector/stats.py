"""Counters since start, written as `collector_stats` points for the operations board."""

from __future__ import annotations

import threading
import time
from collections import deque

from telemetry import influx_schema as s
from telemetry.lineproto import line

LAG_WINDOW = 20_000  # the most recent readings the lag percentiles describe
COUNTERS = (
    "messages",
    "readings",
    "rejected",
    "written",
    "seq_gaps",
    "seq_duplicates",
    "seq_resets",
    "meters_admitted",
    "meter_readings_refused",
)
# InfluxDB stores integer fields as int64 and refuses the whole line past it, so
# a counter saturates there: a stats line must never become unwritable.
INT64_MAX = 2**63 - 1


class Stats:
    """Updated by both pipeline threads, hence the lock."""

    def __init__(self, instance: str) -> None:
        self.instance = instance
        self.counts = dict.fromkeys(COUNTERS, 0)
        self.lags: deque[float] = deque(maxlen=LAG_WINDOW)
        self._lock = threading.Lock()

    def add(self, **deltas: int) -> None:
        with self._lock:
            for name, n in deltas.items():
                self.counts[name] = min(INT64_MAX, self.counts[name] + n)

    def __getattr__(self, name: str) -> int:
        if name in COUNTERS:
            return self.counts[name]
        raise AttributeError(name)

    def add_lags(self, pairs: list[tuple[float, int]]) -> None:
        with self._lock:
            for lag, n in pairs:
                self.lags.extend([lag] * min(n, LAG_WINDOW))

    def percentile(self, q: float) -> float:
        with self._lock:
            ordered = sorted(self.lags)
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def line(self, now: float | None = None) -> str:
        now = time.time() if now is None else now
        with self._lock:
            fields: dict[str, float | int] = dict(self.counts)
        fields["lag_p50_s"] = float(self.percentile(0.5))
        fields["lag_p99_s"] = float(self.percentile(0.99))
        return line(s.COLLECTOR_STATS, {s.TAG_INSTANCE: self.instance}, fields, round(now * 1000))
