"""Group cells kept between passes, one book per utility and period, updated meter by meter.

A book holds every meter's stored figures in its period and the cells of
the period's groups (total, holders). Setting a meter's new figures adds
the difference to the six groups of its site, and the meter (and the site,
the first time) to their holders; so a pass that changed a few meters
updates a few cells and then writes the period's group points, without
reading every site's figures again. A book is built from the stored
per-meter points the first time a period is touched in this process (after
a restart, or an old period reached by late data), which costs what the old
recompute cost, once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from collector.rollup.aggregate import Cell, CellKey
from collector.rollup.counters import Usage
from collector.rollup.groups import Group, SiteInfo
from collector.rollup.source import MeterHour

BookKey = tuple[str, int]  # (utility, period start ms)


class Book:
    def __init__(self) -> None:
        self.values: dict[tuple[str, str], Usage] = {}  # (site, meter) → its figures
        self.site_meters: dict[str, int] = defaultdict(int)
        self.cells: dict[Group, Cell] = {}

    def set(self, info: SiteInfo, meter: str, u: Usage) -> Usage | None:
        """A meter's new figures for the period; returns the ones they replace."""
        old = self.values.get((info.site, meter))
        new_site = old is None and self.site_meters[info.site] == 0
        if old is None:
            self.site_meters[info.site] += 1
        change = u.consumption - (old.consumption if old is not None else 0.0)
        for group in info.groups():
            cell = self.cells.setdefault(group, Cell())
            cell.add(info, change, int(old is None), new_site)
        # A copy: the figures may be a meter state's own, which later passes change.
        self.values[(info.site, meter)] = Usage(u.consumption, u.resets, u.glitches, u.spikes)
        return old


class Books:
    def __init__(self, sites: dict[str, SiteInfo]) -> None:
        self.sites = sites
        self.books: dict[BookKey, Book] = {}

    def get(self, key: BookKey) -> Book | None:
        return self.books.get(key)

    def build(self, keys: Iterable[BookKey], stored: list[MeterHour]) -> None:
        """Books of `keys` from the stored per-meter points of their periods."""
        wanted = set(keys)
        for key in wanted:
            self.books[key] = Book()
        for p in stored:
            info = self.sites.get(p.site)
            book = self.books.get((p.utility, p.ts)) if (p.utility, p.ts) in wanted else None
            if book is not None and info is not None:
                book.set(info, p.meter, Usage(p.consumption, p.resets, p.glitches, p.spikes))

    def cells(self, keys: Iterable[BookKey]) -> dict[CellKey, Cell]:
        out: dict[CellKey, Cell] = {}
        for utility, ts in keys:
            for group, cell in self.books[(utility, ts)].cells.items():
                out[(utility, ts, group)] = cell
        return out

    def forget_before(self, ts: int) -> None:
        self.books = {k: b for k, b in self.books.items() if k[1] >= ts}


def difference(new: Usage, old: Usage | None) -> Usage:
    if old is None:
        return Usage(new.consumption, new.resets, new.glitches, new.spikes)
    return Usage(
        new.consumption - old.consumption,
        new.resets - old.resets,
        new.glitches - old.glitches,
        new.spikes - old.spikes,
    )
