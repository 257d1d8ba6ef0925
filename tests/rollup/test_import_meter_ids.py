"""A Green Button usage point imported as deltas and as a register: two meters of one
household, and per period the deltas count, never both (the rollup's side of it)."""

from __future__ import annotations

from collector.rollup.books import Book
from collector.rollup.groups import SiteInfo
from collector.rollup.placement import Place, household_key
from telemetry.influx_schema import SOURCE_BILL, SOURCE_INTERVAL

HOLDER = SiteInfo("household:hh-1", "29110", "2911071000", "detached_house", 1)


def test_a_register_id_names_its_household() -> None:
    assert household_key("hh-1-electricity-reg") == "hh-1"
    assert household_key("hh-1-electricity-2-reg") == "hh-1"
    assert household_key("hh-1-electricity") == "hh-1"
    assert household_key("hh-1-gas-bill") == "hh-1"


def _counted(*figures: tuple[str, str, float]) -> tuple[float, int, int] | None:
    book = Book()
    for meter, source, value in figures:
        book.set_import(Place(HOLDER, None, source), "imp", meter, value, False)
    return book.households[HOLDER.site].counted


def test_the_deltas_count_and_their_register_does_not() -> None:
    # One hour: the usage point's delta and its register's difference (both `interval`).
    assert _counted(
        ("hh-1-electricity", SOURCE_INTERVAL, 0.45),
        ("hh-1-electricity-reg", SOURCE_INTERVAL, 0.45),
        ("hh-1-electricity-bill", SOURCE_BILL, 9.0),
    ) == (0.45, 1, 0)
    # A register whose usage point has no deltas in the period counts, with the others.
    assert _counted(
        ("hh-1-electricity-2", SOURCE_INTERVAL, 0.1),
        ("hh-1-electricity-reg", SOURCE_INTERVAL, 0.5),
    ) == (0.6, 2, 0)
    assert _counted(("hh-1-electricity-reg", SOURCE_INTERVAL, 0.5)) == (0.5, 1, 0)
