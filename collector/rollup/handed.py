"""New readings as the collectors handed them over in their arrival markers.

A marker carries the good readings it stands for (collector/arrivals.py). A
regular pass takes its resumed sites' new counter readings from the markers
it took, and live minutes' rates from what this process has been handed
since it last read them from the store, instead of reading every meter's
readings since the last pass from InfluxDB: that query visits every series
of the city, so its cost grew with the city rather than with what arrived.

Rates are kept per utility for the minutes since `covered` (every stored
good reading of those minutes is known here): a read of the store from a
minute to now covers from that minute on, each marker's readings extend it,
and a marker that carries none (its readings not all stored, or too many)
moves the cover past its newest reading. Minutes before the cover are read
from the store, as before. A pass's counters come from the markers unless a
marker of one of its resumed sites carried none.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable

from collector.rollup.periods import MINUTE_MS, minute_of

# Rates kept this far back from the pass's now: what a pass read by time before the
# markers carried readings (engine.RESUME_WITHIN_MS); older minutes are read on their own.
KEEP_MS = 10 * 60_000

MeterKey = tuple[str, str]  # (site, meter)
RateKey = tuple[str, str, int]  # (site, meter, minute)
Marker = tuple[str, int, str | None]  # (site, newest reading ms, the readings it carried)


class Handed:
    def __init__(self) -> None:
        self.without: set[str] = set()  # sites of this pass's markers that carried nothing
        self._counters: dict[str, dict[MeterKey, list[tuple[int, float]]]] = {}
        # utility → minute → (site, meter) → (time, rate): the latest reading's
        self._rates: dict[str, dict[int, dict[MeterKey, tuple[int, float]]]] = {}
        self._covered: dict[str, int] = {}  # utility → first minute known in full

    def reset(self) -> None:
        """Forget everything (a failed pass): the store is read again."""
        self.__init__()  # type: ignore[misc]

    def take(self, markers: Iterable[Marker], now_ms: int) -> None:
        """This pass's newly taken markers: their counters for `counters`, their rates kept."""
        self.without = set()
        self._counters = {}
        for site, t1_ms, stored in markers:
            if stored is None:
                self.without.add(site)
                self._uncover(minute_of(t1_ms) + MINUTE_MS)
                continue
            for utility, meters in json.loads(stored).items():
                self._add(utility, site, meters)
        for series in (s for by in self._counters.values() for s in by.values()):
            series.sort(key=lambda r: r[0])  # stable: same-time readings in arrival order
        self._prune(now_ms - KEEP_MS)

    def _add(self, utility: str, site: str, meters: dict[str, list[list[float]]]) -> None:
        counters = self._counters.setdefault(utility, {})
        rates = self._rates.setdefault(utility, {})
        site = sys.intern(site)  # kept for minutes: one string per site and meter
        for name, readings in meters.items():
            meter = sys.intern(name)
            for t, counter, rate in readings:
                t = int(t)
                if counter is not None:
                    counters.setdefault((site, meter), []).append((t, float(counter)))
                if rate is not None:
                    _keep(rates, (site, meter, minute_of(t)), t, float(rate))

    def _uncover(self, from_ms: int) -> None:
        for utility, covered in self._covered.items():
            self._covered[utility] = max(covered, from_ms)

    def _prune(self, oldest_ms: int) -> None:
        oldest = minute_of(oldest_ms)
        for rates in self._rates.values():
            for minute in [m for m in rates if m < oldest]:
                del rates[minute]
        for utility, covered in self._covered.items():
            self._covered[utility] = max(covered, oldest)

    def counters(
        self, utility: str, sites: Iterable[str]
    ) -> dict[MeterKey, list[tuple[int, float]]] | None:
        """This pass's new counter readings per meter, or None if a marker of one of
        `sites` carried none (a late site's replay too large to hand over leaves the
        others' handed readings in use)."""
        if not self.without.isdisjoint(sites):
            return None
        return self._counters.get(utility, {})

    def cover(self, utility: str, from_ms: int, rates: dict[RateKey, tuple[int, float]]) -> None:
        """Rates read from the store for every minute from `from_ms` to now: per (site,
        meter, minute), the latest reading's (time, rate)."""
        kept = self._rates.setdefault(utility, {})
        for key, (t, rate) in rates.items():
            _keep(kept, key, t, rate)
        covered = self._covered.get(utility)
        first = -(-from_ms // MINUTE_MS) * MINUTE_MS  # the first minute read whole
        self._covered[utility] = first if covered is None else min(covered, first)

    def rates(
        self, utility: str, start_ms: int, end_ms: int
    ) -> list[tuple[str, str, int, float]] | None:
        """(site, meter, minute, latest rate) in [start, end), or None if not known in full."""
        covered = self._covered.get(utility)
        if covered is None or start_ms < covered:
            return None
        rates = self._rates.get(utility, {})
        return [
            (site, meter, minute, rate)
            for minute in range(minute_of(start_ms), end_ms, MINUTE_MS)
            for (site, meter), (_t, rate) in rates.get(minute, {}).items()
            if start_ms <= minute
        ]


def _keep(
    rates: dict[int, dict[MeterKey, tuple[int, float]]], key: RateKey, t: int, rate: float
) -> None:
    """Keep a minute's rate if it is the meter's latest reading of that minute so far."""
    site, meter, minute = key
    of_minute = rates.setdefault(minute, {})
    old = of_minute.get((site, meter))
    if old is None or t >= old[0]:
        of_minute[(site, meter)] = (t, rate)
