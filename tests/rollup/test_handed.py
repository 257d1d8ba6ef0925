"""What the markers hand over: a pass's new counters, and rates known in full only from
where the store was last read (collector/rollup/handed.py)."""

from __future__ import annotations

import json

from collector.rollup.handed import KEEP_MS, Handed

M = 60_000
NOW = 1_000 * M


def _stored(*readings: tuple[str, str, int, float | None, float | None]) -> str:
    by: dict = {}
    for utility, meter, t, counter, rate in readings:
        by.setdefault(utility, {}).setdefault(meter, []).append([t, counter, rate])
    return json.dumps(by)


def test_counters_of_the_pass_sorted_per_meter_and_none_if_a_marker_carried_none() -> None:
    h = Handed()
    h.take(
        [
            ("s1", NOW - M, _stored(("electricity", "m", NOW - M, 5.0, 1.0))),
            ("s1", NOW - 2 * M, _stored(("electricity", "m", NOW - 2 * M, 4.0, None))),
            ("s2", NOW - M, _stored(("gas", "g", NOW - M, None, 2.0))),
        ],
        NOW,
    )
    sites = ("s1", "s2")
    assert h.counters("electricity", sites) == {("s1", "m"): [(NOW - 2 * M, 4.0), (NOW - M, 5.0)]}
    assert h.counters("gas", sites) == {} and h.counters("water", sites) == {}
    h.take([("s1", NOW, None), ("s2", NOW, _stored(("gas", "g", NOW, 2.0, None)))], NOW)
    assert h.counters("electricity", sites) is None  # s1's must be read from the store
    assert h.counters("gas", ["s2"]) == {("s2", "g"): [(NOW, 2.0)]}  # s2's are all here
    h.take([], NOW)
    assert h.counters("electricity", sites) == {}  # each pass's own markers


def test_rates_only_from_where_the_store_was_read_in_full() -> None:
    h = Handed()
    h.take([("s1", NOW - M, _stored(("electricity", "m", NOW - M, 5.0, 1.0)))], NOW)
    assert h.rates("electricity", NOW - M, NOW) is None  # readings before this process
    h.cover("electricity", NOW - 3 * M, {("s2", "n", NOW - 3 * M): (NOW - 3 * M + 5, 7.0)})
    assert sorted(h.rates("electricity", NOW - 3 * M, NOW) or []) == [
        ("s1", "m", NOW - M, 1.0),
        ("s2", "n", NOW - 3 * M, 7.0),
    ]
    assert h.rates("electricity", NOW - 4 * M, NOW) is None  # before the read
    assert h.rates("gas", NOW - M, NOW) is None  # each utility read on its own


def test_the_latest_reading_of_a_minute_wins_whichever_way_it_came() -> None:
    h = Handed()
    minute = NOW - 2 * M
    h.cover("electricity", minute, {("s", "m", minute): (minute + 40_000, 9.0)})
    h.take([("s", minute, _stored(("electricity", "m", minute + 10_000, 1.0, 3.0)))], NOW)
    assert h.rates("electricity", minute, NOW) == [("s", "m", minute, 9.0)]  # older: kept out
    h.take([("s", minute, _stored(("electricity", "m", minute + 50_000, 1.0, 4.0)))], NOW)
    assert h.rates("electricity", minute, NOW) == [("s", "m", minute, 4.0)]


def test_a_marker_without_readings_leaves_its_minutes_to_the_store() -> None:
    h = Handed()
    h.cover("electricity", NOW - 10 * M, {})
    h.take([("s", NOW - 4 * M + 30_000, None)], NOW)
    assert h.rates("electricity", NOW - 5 * M, NOW) is None
    assert h.rates("electricity", NOW - 3 * M, NOW) == []  # after its newest reading
    h.cover("electricity", NOW - 6 * M, {})  # read again: known in full from there
    assert h.rates("electricity", NOW - 5 * M, NOW) == []


def test_a_read_from_inside_a_minute_knows_only_the_minutes_after_it() -> None:
    h = Handed()
    h.cover("electricity", NOW - 3 * M + 1, {})
    assert h.rates("electricity", NOW - 3 * M, NOW) is None
    assert h.rates("electricity", NOW - 2 * M, NOW) == []


def test_old_minutes_are_forgotten_and_no_longer_known() -> None:
    h = Handed()
    h.cover("electricity", NOW - 10 * M, {("s", "m", NOW - 10 * M): (NOW - 10 * M, 1.0)})
    later = NOW + KEEP_MS
    h.take([], later)
    assert h.rates("electricity", NOW - 10 * M, later) is None
    assert h.rates("electricity", later - KEEP_MS, later) == []
    h.reset()
    assert h.rates("electricity", later - M, later) is None
