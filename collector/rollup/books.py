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

Imported meters (placement.py) count per household: its interval meters'
sum when it has any in the period, else its bills', and nothing while the
site it lives at (its gate) has metered counters in the period. A
household's contribution is recounted whenever one of its figures changes
or its gate gets its first counter. A household's imported register (a
counter under an importer's site, placement.py) counts as one of its interval
meters, never as the site's counter.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from collector.rollup.aggregate import Cell, CellKey
from collector.rollup.counters import Usage
from collector.rollup.groups import Group, SiteInfo
from collector.rollup.leaders import Holder, Leaders, Share
from collector.rollup.placement import Place, Placement
from collector.rollup.source import MeterHour
from telemetry.influx_schema import SOURCE_INTERVAL, SOURCE_METER, superseded_registers

BookKey = tuple[str, int]  # (utility, period start ms)
Counted = tuple[float, int, int]  # (total, meters, apportioned meters)


@dataclass
class Household:
    """One household's imported figures in a period, and what of them the cells hold."""

    place: Place
    figures: dict[tuple[str, str, str], tuple[float, bool]] = field(default_factory=dict)
    counted: Counted | None = None  # (site, meter, source) → (consumption, apportioned)

    def pick(self) -> Counted:
        """Its interval meters when it has any in the period, else its bills; a register
        whose usage point's deltas are there too is left out (the finest wins)."""
        has_interval = any(src == SOURCE_INTERVAL for _s, _m, src in self.figures)
        superseded = superseded_registers(
            m for _s, m, src in self.figures if src == SOURCE_INTERVAL
        )
        chosen = [
            v
            for (_s, m, src), v in self.figures.items()
            if has_interval == (src == SOURCE_INTERVAL) and m not in superseded
        ]
        return (sum(c for c, _a in chosen), len(chosen), sum(a for _c, a in chosen))


class Book:
    def __init__(self) -> None:
        self.values: dict[tuple[str, str], Usage] = {}  # (site, meter) → its figures
        self.site_meters: dict[str, int] = defaultdict(int)
        self.cells: dict[Group, Cell] = {}
        self.households: dict[str, Household] = {}  # holder id → imported figures
        self.gated: dict[str, set[str]] = defaultdict(set)  # site → holder ids living there
        self.site_totals: dict[str, float] = defaultdict(float)  # counter use per site
        self.infos: dict[str, SiteInfo] = {}
        # Each group's largest holders, kept holder by holder (leaders.py): every group's
        # contributions from all its holders, each pass, was a third of a steady pass.
        self._leaders = Leaders()
        self._sites_of: dict[Group, set[str]] = defaultdict(set)
        self._holders_of: dict[Group, set[str]] = defaultdict(set)

    def set(self, info: SiteInfo, meter: str, u: Usage) -> Usage | None:
        """A counter meter's new figures for the period; returns the ones they replace."""
        old = self.values.get((info.site, meter))
        new_site = old is None and self.site_meters[info.site] == 0
        if old is None:
            self.site_meters[info.site] += 1
        change = u.consumption - (old.consumption if old is not None else 0.0)
        self.site_totals[info.site] += change
        was = self.infos.get(info.site)
        holder = ("site", info.site)
        moved = was is not info and was is not None and was != info
        if moved and was is not None:  # the registry moved it: out of its old groups
            for group in was.groups():
                self._sites_of[group].discard(info.site)
                self._leaders.leave(group, holder)
        self.infos[info.site] = info
        groups = info.groups()
        for group in groups:
            cell = self.cells.get(group)
            if cell is None:
                cell = self.cells[group] = Cell()
            cell.add(info, change, int(old is None), new_site)
            if new_site or moved:
                self._sites_of[group].add(info.site)
        self._leaders.offer_all(groups, holder, self.site_totals[info.site], info.households)
        # A copy: the figures may be a meter state's own, which later passes change.
        self.values[(info.site, meter)] = Usage(u.consumption, u.resets, u.glitches, u.spikes)
        if new_site:  # its households' imports no longer count
            for holder in self.gated.get(info.site, ()):
                self._recount(self.households[holder])
        return old

    def set_import(self, place: Place, site: str, meter: str, figure: float, apport: bool) -> None:
        """An imported meter's figure for the period (placement.py: where it counts)."""
        hh = self.households.get(place.info.site)
        if hh is None:
            hh = self.households[place.info.site] = Household(place)
            if place.gate is not None:
                self.gated[place.gate].add(place.info.site)
        hh.figures[(site, meter, place.source)] = (figure, apport)
        self.values[(site, meter)] = Usage(figure)
        self._recount(hh)

    def _recount(self, hh: Household) -> None:
        gate = hh.place.gate
        new = hh.pick() if gate is None or self.site_meters.get(gate, 0) == 0 else None
        if new == hh.counted:
            return
        info = hh.place.info
        holder = ("household", info.site)
        for group in info.groups():
            self._holders_of[group].add(info.site)
            if new is None:
                self._leaders.leave(group, holder)
            else:
                self._leaders.offer(group, holder, new[0], info.households)
            cell = self.cells.setdefault(group, Cell())
            if hh.counted is not None:
                total, meters, apport = hh.counted
                cell.remove(info, total, meters, apport)
            if new is not None:
                cell.add(info, new[0], new[1], True, new[2])
        hh.counted = new

    def tops(self) -> dict[Group, tuple[float, ...]]:
        """Each group's largest contributions per holder (the dominance rule's input):
        sites by their counter use (a site with households shares it among them), and
        households counted by their imports."""
        return self._leaders.tops(self._every_holder)

    def _every_holder(self, group: Group) -> Iterator[tuple[Holder, Share]]:
        for site in self._sites_of[group]:
            yield ("site", site), (self.site_totals[site], self.infos[site].households)
        for holder in self._holders_of[group]:
            hh = self.households[holder]
            if hh.counted is not None:
                yield ("household", holder), (hh.counted[0], hh.place.info.households)


class Books:
    def __init__(self, sites: dict[str, SiteInfo], placement: Placement | None = None) -> None:
        self.sites = sites
        self.placement = placement or Placement(sites)
        self.books: dict[BookKey, Book] = {}
        self.floor = 0  # books of periods before this were forgotten (or never held)

    def get(self, key: BookKey) -> Book | None:
        return self.books.get(key)

    def build(self, keys: Iterable[BookKey], stored: list[MeterHour]) -> None:
        """Books of `keys` from the stored per-meter points of their periods."""
        wanted = set(keys)
        for key in wanted:
            self.books[key] = Book()
        for p in stored:
            book = self.books.get((p.utility, p.ts)) if (p.utility, p.ts) in wanted else None
            if book is not None:
                self.put(book, p)

    def put(self, book: Book, p: MeterHour) -> None:
        """One stored meter figure into a book, by its source."""
        if p.source in ("", SOURCE_METER):
            info = self.sites.get(p.site)
            if info is not None:
                u = Usage(p.consumption, p.resets, p.glitches, p.spikes)
                self.set_counter(book, info, p.meter, u)
            return
        place = self.placement.imported(p.site, p.meter)
        if place is not None:
            book.set_import(place, p.site, p.meter, p.consumption, bool(p.apportioned))

    def set_counter(self, book: Book, info: SiteInfo, meter: str, u: Usage) -> Usage | None:
        """A counter meter's new figures: the site's own, or a household's imported
        register (placement.py), which counts like its imports. Returns the old ones."""
        place = self.placement.counter(info.site, meter)
        if place is None:
            return book.set(info, meter, u)
        old = book.values.get((info.site, meter))
        book.set_import(place, info.site, meter, u.consumption, False)
        book.values[(info.site, meter)] = Usage(u.consumption, u.resets, u.glitches, u.spikes)
        return old

    def cells(self, keys: Iterable[BookKey]) -> dict[CellKey, Cell]:
        """The periods' cells, each with its largest contributions (`Cell.top`)."""
        out: dict[CellKey, Cell] = {}
        for utility, ts in keys:
            book = self.books[(utility, ts)]
            tops = book.tops()
            for group, cell in book.cells.items():
                cell.top = tops.get(group, ())
                out[(utility, ts, group)] = cell
        return out

    def forget_before(self, ts: int) -> None:
        self.floor = max(self.floor, ts)
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
