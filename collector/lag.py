"""A lag histogram that takes many equal observations at once.

A reading batch is one poll cycle: its readings share a timestamp, so the lag
is observed once per distinct timestamp with a count, instead of once per
reading (prometheus_client's Histogram has no weighted observe).
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterable, Iterator

from prometheus_client.core import HistogramMetricFamily
from prometheus_client.registry import REGISTRY, Collector

BOUNDS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30, 60, 300, 3600, 86400)


class LagHistogram(Collector):
    def __init__(self, name: str, doc: str, bounds: tuple[float, ...] = BOUNDS) -> None:
        self.name, self.doc, self.bounds = name, doc, bounds
        self._counts = [0] * (len(bounds) + 1)
        self._sum = 0.0
        self._lock = threading.Lock()

    def observe_many(self, pairs: Iterable[tuple[float, int]]) -> None:
        """(lag seconds, how many readings had it)."""
        with self._lock:
            for lag, count in pairs:
                self._counts[bisect.bisect_left(self.bounds, lag)] += count
                self._sum += lag * count

    def collect(self) -> Iterator[HistogramMetricFamily]:
        with self._lock:
            counts, total = list(self._counts), self._sum
        cumulative, buckets = 0, []
        for bound, count in zip((*map(str, self.bounds), "+Inf"), counts, strict=True):
            cumulative += count
            buckets.append((bound, cumulative))
        yield HistogramMetricFamily(self.name, self.doc, buckets=buckets, sum_value=total)

    def register(self) -> LagHistogram:
        REGISTRY.register(self)
        return self
