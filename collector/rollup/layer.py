"""The group layer of a pass: group points from cells kept between passes (books.py).

The meter figures a pass wrote (per meter and hour) are set in the hour
books, which update their groups' cells; each meter's change per KST day
gives its new day figures (from the day book), except where a book was just
built from the store (the change is unknown): those meter days are re-summed
from the stored hours by InfluxDB. Then the day books are updated, and the
touched periods' group points written. The same step leads from days to
KST months (`meter_consumption_1mo`, source `meter`, and `consumption_1mo`).
Cost: the meters changed, plus the groups of the touched periods; a book
built (after a restart, or late data reaching an old period) costs one read
of that period's meter points.

Imported meters' figures (imported.py) are set in the books of their
periods by `imports`: set in a kept book, or in a book built from the
stored points (which already hold them), and the periods' group points
written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from collector.rollup.aggregate import Output
from collector.rollup.books import Book, BookKey, Books, difference
from collector.rollup.compute import Computer, MeterUsage
from collector.rollup.counters import Usage
from collector.rollup.periods import DAY_MS, HOUR_MS, day_of, hour_of
from collector.rollup.source import MeterHour, RawSource
from telemetry.influx_schema import (
    CONSUMPTION_1D,
    CONSUMPTION_1H,
    CONSUMPTION_1MO,
    METER_CONSUMPTION_1D,
    METER_CONSUMPTION_1H,
    METER_CONSUMPTION_1MO,
)
from telemetry.months import month_of, next_month

BOOK_HOURS = 3  # hours of group cells kept (days: today and yesterday; months: this and last)
LEVELS = (
    (METER_CONSUMPTION_1H, CONSUMPTION_1H),
    (METER_CONSUMPTION_1D, CONSUMPTION_1D),
    (METER_CONSUMPTION_1MO, CONSUMPTION_1MO),
)


class GroupLayer:
    def __init__(self, computer: Computer, source: RawSource) -> None:
        self.computer = computer
        self.source = source
        self.hour_books = Books(computer.sites, computer.placement)
        self.day_books = Books(computer.sites, computer.placement)
        self.month_books = Books(computer.sites, computer.placement)
        # The time of this layer's first pass (engine.py): every meter figure of a later
        # period is this process's own, so its books start empty instead of from the
        # store, and their changes are known (each new hour's first pass read the store
        # and re-summed its days and month for every site it touched).
        self.born: int | None = None

    def forget_before(self, now_ms: int) -> None:
        self.hour_books.forget_before(hour_of(now_ms) - BOOK_HOURS * HOUR_MS)
        self.day_books.forget_before(day_of(now_ms) - DAY_MS)
        self.month_books.forget_before(month_of(month_of(now_ms) - 1))

    def _books(self, measurement: str) -> Books:
        return {
            METER_CONSUMPTION_1H: self.hour_books,
            METER_CONSUMPTION_1D: self.day_books,
            METER_CONSUMPTION_1MO: self.month_books,
        }[measurement]

    def imports(self, figures: dict[str, list[MeterHour]], store: Callable[[Output], None]) -> None:
        """Imported meters' figures just stored, per meter measurement: into their
        periods' books (kept, or built from the store), and those periods' group points."""
        for measurement, group_measurement in LEVELS:
            points = figures.get(measurement, [])
            books = self._books(measurement)
            keys = {(p.utility, p.ts) for p in points}
            missing = sorted(k for k in keys if self._kept(books, k) is None)
            self._build(books, measurement, missing)
            built = set(missing)
            for p in points:
                if (p.utility, p.ts) not in built:
                    books.put(books.books[(p.utility, p.ts)], p)
            store(self.computer.cell_points(group_measurement, books.cells(keys)))

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
            book = self._kept(self.day_books, (u, day))
            if book is None or site in resum.get(day, ()):
                resum.setdefault(day, set()).add(site)
                continue
            days[(u, site, meter, day)] = _plus(book.values.get((site, meter)), change)
        for day, sites in sorted(resum.items()):
            days.update(self.computer.meter_days([day], sorted(sites)))
        store(self.computer.meter_points(METER_CONSUMPTION_1D, days))
        changes, resum = self._apply(self.day_books, days, month_of)
        touched_days = {(u, d) for u, _s, _m, d in days}
        out = self.computer.cell_points(CONSUMPTION_1D, self.day_books.cells(touched_days))
        store(out)
        self._months(changes, resum, store)

    def _months(
        self, changes: MeterUsage, resum: dict[int, set[str]], store: Callable[[Output], None]
    ) -> None:
        """Counter meters' KST months from their day changes (or re-summed from the
        stored days where the change is unknown), and the months' group points."""
        months: MeterUsage = {}
        for (u, site, meter, month), change in changes.items():
            book = self._kept(self.month_books, (u, month))
            if book is None or site in resum.get(month, ()):
                resum.setdefault(month, set()).add(site)
                continue
            months[(u, site, meter, month)] = _plus(book.values.get((site, meter)), change)
        for month, sites in sorted(resum.items()):
            found = self.source.meter_days(month, next_month(month), sorted(sites), month=True)
            months.update(((d.utility, d.site, d.meter, d.ts), Usage(d.consumption)) for d in found)
        store(self.computer.month_points(months))
        self._apply(self.month_books, months, month_of)
        touched = {(u, m) for u, _s, _m, m in months}
        store(self.computer.cell_points(CONSUMPTION_1MO, self.month_books.cells(touched)))

    def _kept(self, books: Books, key: BookKey) -> Book | None:
        """The period's book; one that began after this layer's first pass, and was never
        forgotten, starts empty."""
        book = books.get(key)
        if book is None and self.born is not None and key[1] >= max(self.born, books.floor):
            book = books.books[key] = Book()
        return book

    def _build(self, books: Books, measurement: str, keys: list[tuple[str, int]]) -> None:
        """Books of `keys` from the stored meter points of their periods."""
        if measurement == METER_CONSUMPTION_1MO:
            spans = [(m, next_month(m)) for m in sorted({ts for _u, ts in keys})]
        else:
            step = HOUR_MS if measurement == METER_CONSUMPTION_1H else DAY_MS
            spans = _spans(sorted({ts for _u, ts in keys}), step)
        for start, end in spans:
            stored = self.source.meter_points(measurement, start, end)
            books.build([k for k in keys if start <= k[1] < end], stored)

    def _apply(
        self, books: Books, figures: MeterUsage, parent: Callable[[int], int] = day_of
    ) -> tuple[MeterUsage, dict[int, set[str]]]:
        """Set the stored counter figures in their books (built from the store when
        missing). Returns each meter's change per parent period (KST day or month), and
        per parent period the sites whose change is unknown (their book was just
        built): their parent periods are re-summed."""
        missing = sorted(
            {(u, ts) for u, _s, _m, ts in figures if self._kept(books, (u, ts)) is None}
        )
        measurement = next(m for m, _g in LEVELS if self._books(m) is books)
        self._build(books, measurement, missing)
        built = set(missing)
        changes: MeterUsage = {}
        resum: dict[int, set[str]] = defaultdict(set)
        for (u, site, meter, ts), figure in figures.items():
            info = self.computer.sites.get(site)
            if info is None:
                continue
            if (u, ts) in built:
                resum[parent(ts)].add(site)
                continue
            old = books.set_counter(books.books[(u, ts)], info, meter, figure)
            key = (u, site, meter, parent(ts))
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
