"""Counters since start, written as `collector_stats` points for the operations board."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

from collector.lineproto import line
from telemetry import influx_schema as s

LAG_WINDOW = 20_000  # the most recent readings the lag percentiles describe


@dataclass
class Stats:
    instance: str
    messages: int = 0
    readings: int = 0
    rejected: int = 0
    written: int = 0
    seq_gaps: int = 0
    seq_duplicates: int = 0
    lags: deque[float] = field(default_factory=lambda: deque(maxlen=LAG_WINDOW))

    def add_lag(self, lag_s: float) -> None:
        self.lags.append(lag_s)

    def percentile(self, q: float) -> float:
        if not self.lags:
            return 0.0
        ordered = sorted(self.lags)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def line(self, now: float | None = None) -> str:
        now = time.time() if now is None else now
        fields: dict[str, float | int] = {
            "messages": self.messages,
            "readings": self.readings,
            "rejected": self.rejected,
            "written": self.written,
            "seq_gaps": self.seq_gaps,
            "seq_duplicates": self.seq_duplicates,
            "lag_p50_s": float(self.percentile(0.5)),
            "lag_p99_s": float(self.percentile(0.99)),
        }
        return line(s.COLLECTOR_STATS, {s.TAG_INSTANCE: self.instance}, fields, round(now * 1000))
