"""A book's largest contributions per group, kept between passes and recomputed only for
the groups whose holders changed (books.Book.tops): after any sequence of counter
figures, imports, gated households and a site moved by the registry, they equal the
contributions recomputed from every holder, as every pass once did."""

from __future__ import annotations

from collections import defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from collector.rollup.books import Book
from collector.rollup.counters import Usage
from collector.rollup.disclosure import contributions
from collector.rollup.groups import Group, SiteInfo
from collector.rollup.placement import Place

SITES = [
    SiteInfo("apt", "29140", "2914083000", "apartment", 40),
    SiteInfo("shop", "29140", "2914083000", "commercial", 0),
    SiteInfo("ind", "29200", "2920064000", "industrial", 0),
    SiteInfo("house", "29200", "2920064000", "detached_house", 1),
]
MOVED = SiteInfo("shop", "29200", "2920064000", "commercial", 0)  # a registry change
HOUSEHOLDS = [
    Place(SiteInfo("hh-1", "29140", "2914083000", "apartment", 1), "apt", "interval"),
    Place(SiteInfo("hh-2", "29200", "2920064000", "detached_house", 1), None, "bill"),
]

ops = st.lists(
    st.one_of(
        st.tuples(st.just("counter"), st.integers(0, len(SITES)), st.integers(0, 2),
                  st.floats(0, 500)),
        st.tuples(st.just("import"), st.integers(0, len(HOUSEHOLDS) - 1), st.integers(0, 1),
                  st.floats(0, 50)),
        st.tuples(st.just("tops"), st.just(0), st.just(0), st.just(0.0)),
    ),
    max_size=40,
)  # fmt: skip


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


@settings(max_examples=150, deadline=None)
@given(steps=ops)
def test_kept_contributions_equal_those_from_every_holder(steps: list) -> None:
    book = Book()
    for kind, which, meter, value in steps:
        if kind == "counter":
            info = MOVED if which == len(SITES) else SITES[which]
            book.set(info, f"m{meter}", Usage(value))
        elif kind == "import":
            place = HOUSEHOLDS[which]
            book.set_import(place, "importer", f"{place.info.site}-r{meter}", value, False)
        else:
            assert book.tops() == _every_holder(book)
    assert book.tops() == _every_holder(book)
