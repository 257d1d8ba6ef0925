"""A book's cells and largest contributions: the book keeps the finest groups' (the
largest contributions recomputed only for the groups whose holders changed,
books.Book.tops) and `Books.cells` sums the coarser groups from them. After any
sequence of counter figures, imports (apportioned or not), gated households and a site
moved by the registry:

- every group's contributions, the coarser ones too, equal those recomputed from every
  holder, as every pass once did;
- every group's cell (total, holders, apportioned) and the cells' order equal what the
  book gave when it added each change into the six groups of its holder (`SixGroups`);
- the cells given are the caller's: changing them leaves the book's as they were.
"""

from __future__ import annotations

import copy
import math
from collections import defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from collector.rollup.aggregate import Cell
from collector.rollup.books import Book, Books, Household
from collector.rollup.counters import Usage
from collector.rollup.disclosure import contributions
from collector.rollup.groups import Group, SiteInfo
from collector.rollup.placement import Place

SITES = [
    SiteInfo("apt", "29140", "2914083000", "apartment", 40),
    SiteInfo("shop", "29140", "2914083000", "commercial", 0),
    SiteInfo("office", "29140", "2914084000", "commercial", 0, simulated=True),
    SiteInfo("ind", "29200", "2920064000", "industrial", 0),
    SiteInfo("house", "29200", "2920064000", "detached_house", 1),
]
MOVED = [  # registry changes: another district, and another dong with households
    SiteInfo("shop", "29200", "2920064000", "commercial", 0),
    SiteInfo("shop", "29140", "2914084000", "commercial", 2),
]
HOUSEHOLDS = [
    Place(SiteInfo("hh-1", "29140", "2914083000", "apartment", 1), "apt", "interval"),
    Place(SiteInfo("hh-2", "29200", "2920064000", "detached_house", 1), None, "bill"),
]
KEY = ("electricity", 0)

ops = st.lists(
    st.one_of(
        st.tuples(st.just("counter"), st.integers(0, len(SITES) + len(MOVED) - 1),
                  st.integers(0, 2), st.floats(0, 500), st.just(False)),
        st.tuples(st.just("import"), st.integers(0, len(HOUSEHOLDS) - 1), st.integers(0, 1),
                  st.floats(0, 50), st.booleans()),
        st.tuples(st.just("cells"), st.just(0), st.just(0), st.just(0.0), st.just(False)),
    ),
    max_size=40,
)  # fmt: skip


class SixGroups:
    """The cells as the book kept them before: each change added into the six groups of
    its holder (a site, or a household counted by its imports)."""

    def __init__(self) -> None:
        self.cells: dict[Group, Cell] = {}
        self.values: dict[tuple[str, str], float] = {}
        self.counters: set[str] = set()  # sites with a counter figure
        self.households: dict[str, Household] = {}

    def counter(self, info: SiteInfo, meter: str, value: float) -> None:
        old = self.values.get((info.site, meter))
        new_site = info.site not in self.counters
        self.values[(info.site, meter)] = value
        self.counters.add(info.site)
        for group in info.groups():
            cell = self.cells.setdefault(group, Cell())
            cell.add(info, value - (old or 0.0), int(old is None), new_site)
        for hh in self.households.values():
            if new_site and hh.place.gate == info.site:
                self._recount(hh)

    def imported(self, place: Place, meter: str, value: float, apport: bool) -> None:
        hh = self.households.setdefault(place.info.site, Household(place))
        hh.figures[("importer", meter, place.source)] = (value, apport)
        self._recount(hh)

    def _recount(self, hh: Household) -> None:
        gate = hh.place.gate
        new = hh.pick() if gate is None or gate not in self.counters else None
        if new == hh.counted:
            return
        info = hh.place.info
        for group in info.groups():
            cell = self.cells.setdefault(group, Cell())
            if hh.counted is not None:
                cell.remove(info, *hh.counted)
            if new is not None:
                cell.add(info, new[0], new[1], True, new[2])
        hh.counted = new


def _play(steps: list, check: bool = False) -> tuple[Book, SixGroups]:
    """The steps into a book and into the six-group reference; `check`: the
    contributions at each "cells" step."""
    book, ref = Book(), SixGroups()
    for kind, which, meter, value, apport in steps:
        if kind == "counter":
            info = (SITES + MOVED)[which]
            book.set(info, f"m{meter}", Usage(value))
            ref.counter(info, f"m{meter}", value)
        elif kind == "import":
            place = HOUSEHOLDS[which]
            name = f"{place.info.site}-r{meter}"
            book.set_import(place, "importer", name, value, apport)
            ref.imported(place, name, value, apport)
        elif check:
            _check_tops(book)
    return book, ref


def _cells(book: Book) -> dict[Group, Cell]:
    books = Books({})
    books.books[KEY] = book
    return {group: cell for (_u, _ts, group), cell in books.cells([KEY]).items()}


def _every_holder(book: Book) -> dict[Group, tuple[float, ...]]:
    """Every group's contributions from all its holders (what a pass once computed)."""
    shares: dict[Group, list[tuple[float, int]]] = defaultdict(list)
    for site, total in book.site_totals.items():
        info = book.infos[site]
        for group in info.groups():
            shares[group].append((total, info.households))
    for hh in book.households.values():
        if hh.counted is not None:
            for group in hh.place.info.groups():
                shares[group].append((hh.counted[0], hh.place.info.households))
    return {group: contributions(found) for group, found in shares.items()}


def _check_tops(book: Book) -> None:
    cells = _cells(book)
    expected = _every_holder(book)
    assert expected.keys() <= cells.keys()
    assert {g: c.top for g, c in cells.items()} == {g: expected.get(g, ()) for g in cells}


@settings(max_examples=150, deadline=None)
@given(steps=ops)
def test_every_groups_contributions_equal_those_from_every_holder(steps: list) -> None:
    book, _ref = _play(steps, check=True)
    _check_tops(book)


@settings(max_examples=150, deadline=None)
@given(steps=ops)
def test_cells_equal_those_kept_in_six_groups(steps: list) -> None:
    book, ref = _play(steps)
    cells = _cells(book)
    assert list(cells) == list(ref.cells)  # the same groups, in the same order
    for group, cell in cells.items():
        kept = ref.cells[group]
        # Summed in another order: equal but for the last bits (disclosure.unchanged).
        assert math.isclose(cell.total, kept.total, rel_tol=1e-9, abs_tol=1e-9), group
        assert (cell.holders, cell.apportioned) == (kept.holders, kept.apportioned), group
    before = copy.deepcopy(cells)
    for cell in cells.values():  # the caller's cells: the book's stay as they were
        cell.merge(Cell(1.0, copy.copy(cell.holders), 1, (1.0,)))
    assert _cells(book) == before
