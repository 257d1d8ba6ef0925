"""The group layer of a pass: group points from cells kept between passes (books.py).

The meter figures a pass wrote (per meter and hour) are set in the hour
books, which update their groups' cells; each meter's change per KST day
gives its new day figures (from the day book), except where a book was just
built from the store (the change is unknown): those meter days are re-summed
from the stored hours by InfluxDB. Then the day books are updated, and the
touched periods' group points written. Cost: the meters changed, plus the
groups of the touched periods; a book built (after a restart, or late data
reaching an old period) costs one read of that period's meter points.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from collector.rollup.aggregate import Output
from collector.rollup.books import Books, difference
from collector.rollup.compute import Computer, MeterUsage
from collector.rollup.counters import Usage
from collector.rollup.periods import DAY_MS, HOUR_MS, day_of, hour_of
from collector.rollup.source import RawSource
from telemetry.influx_schema import (
    CONSUMPTION_1D,
    CONSUMPTION_1H,
    METER_CONSUMPTION_1D,
    METER_CONSUMPTION_1H,
)

BOOK_HOURS = 3  # hours of group cells kept (days: today and yesterday)


class GroupLayer:
    def __init__(self, computer: Computer, source: RawSource) -> None:
        self.computer = computer
        self.source = source
        self.hour_books = Books(computer.sites)
        self.day_books = Books(computer.sites)

    def forget_before(self, now_ms: int) -> None:
        self.hour_books.forget_before(hour_of(now_ms) - BOOK_HOURS * HOUR_MS)
        self.day_books.forget_before(day_of(now_ms) - DAY_MS)

    def update(self, written: MeterUsage, store: Callable[[Output], None]) -> None:
        """Group points of the hours and KST days holding the meter figures just
        written, from the kept books (updated meter by meter), and the meter days."""
        if not written:
            return
        changes, resum = self._apply(self.hour_books, written)
        hours = {(u, h) for u, _s, _m, h in written}
        store(self.computer.cell_points(CONSUMPTION_1H, self.hour_books.cells(hours)))
        days: MeterUsage = {}
        for (u, site, meter, day), change in changes.items():
            book = self.day_books.get((u, day))
            if book is None or site in resum.get(day, ()):
                resum.setdefault(day, set()).add(site)
                continue
            days[(u, site, meter, day)] = _plus(book.values.get((site, meter)), change)
        for day, sites in sorted(resum.items()):
            days.update(self.computer.meter_days([day], sorted(sites)))
        store(self.computer.meter_points(METER_CONSUMPTION_1D, days))
        self._apply(self.day_books, days)
        touched_days = {(u, d) for u, _s, _m, d in days}
        out = self.computer.cell_points(CONSUMPTION_1D, self.day_books.cells(touched_days))
        store(out)

    def _apply(self, books: Books, figures: MeterUsage) -> tuple[MeterUsage, dict[int, set[str]]]:
        """Set the stored figures in their books (built from the store when missing).
        Returns each meter's change per KST day, and per day the sites whose change
        is unknown (their book was just built): their days are re-summed."""
        missing = sorted({(u, ts) for u, _s, _m, ts in figures if books.get((u, ts)) is None})
        step = HOUR_MS if books is self.hour_books else DAY_MS
        measurement = METER_CONSUMPTION_1H if step == HOUR_MS else METER_CONSUMPTION_1D
        for start, end in _spans(sorted({ts for _u, ts in missing}), step):
            stored = self.source.meter_points(measurement, start, end)
            books.build([k for k in missing if start <= k[1] < end], stored)
        built = set(missing)
        changes: MeterUsage = {}
        resum: dict[int, set[str]] = defaultdict(set)
        for (u, site, meter, ts), figure in figures.items():
            info = self.computer.sites.get(site)
            if info is None:
                continue
            if (u, ts) in built:
                resum[day_of(ts)].add(site)
                continue
            old = books.books[(u, ts)].set(info, meter, figure)
            key = (u, site, meter, day_of(ts))
            changes[key] = _plus(changes.get(key), difference(figure, old))
        return changes, resum


def _plus(base: Usage | None, change: Usage) -> Usage:
    out = Usage()
    if base is not None:
        out.add(base)
    out.add(change)
    out.pending = 0
    return out


def _spans(starts: list[int], step: int) -> list[tuple[int, int]]:
    """Sorted period starts → merged [start, end) spans."""
    out: list[tuple[int, int]] = []
    for t in starts:
        if out and out[-1][1] == t:
            out[-1] = (out[-1][0], t + step)
        else:
            out.append((t, t + step))
    return out
