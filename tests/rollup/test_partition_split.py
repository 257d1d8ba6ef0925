"""The districts' default split among workers, and the touched periods' encoding."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from collector.rollup.partition import (
    Partition,
    decode_touched,
    encode_touched,
    partition_scope,
    partitions,
    uncovered,
)

GWANGJU = {"29110": 13, "29140": 18, "29155": 17, "29170": 27, "29200": 21}  # dongs


def test_two_workers_split_gwangju_evenly() -> None:
    parts = partitions(GWANGJU, {}, 2)
    loads = sorted(sum(GWANGJU[d] for d in p.districts) for p in parts)
    assert loads == [48, 48]
    assert uncovered(parts, GWANGJU) == []
    assert all(p.name == "-".join(sorted(p.districts)) for p in parts)


def test_more_workers_than_districts_gives_a_district_each_even_without_sites() -> None:
    weights = {"29110": 0, "29140": 3, "29155": 0, "29170": 0, "29200": 5}
    parts = partitions(weights, {}, 8)
    assert sorted(p.name for p in parts) == sorted(weights)


def test_one_worker_holds_every_district() -> None:
    (only,) = partitions(GWANGJU, {}, 1)
    assert only.districts == frozenset(GWANGJU)


def test_a_configured_split_wins_and_gaps_or_overlaps_are_named() -> None:
    spec = {"a": ["29110", "29140"], "b": ["29140", "29155"]}
    parts = partitions(GWANGJU, spec, 3)
    assert [p.name for p in parts] == ["a", "b"]
    assert uncovered(parts, GWANGJU) == ["29140", "29170", "29200"]


periods = st.sets(st.integers(min_value=0, max_value=10**6).map(lambda m: m * 60_000), max_size=60)


@given(st.dictionaries(st.sampled_from(["live_1m", "consumption_1h", "consumption_1mo"]), periods))
def test_touched_periods_come_back_as_written(touched: dict[str, set[int]]) -> None:
    expected = {m: p for m, p in touched.items() if p}
    assert decode_touched(encode_touched(touched)) == expected


def test_runs_of_periods_are_written_short() -> None:
    hours = set(range(0, 48 * 3_600_000, 3_600_000))
    text = encode_touched({"consumption_1h": hours})
    assert len(text) < 40, text
    assert decode_touched(text) == {"consumption_1h": hours}


def test_a_workers_raw_reads_keep_to_its_districts_and_the_importers_elsewhere() -> None:
    part = Partition("29110-29155", frozenset({"29110", "29155"}))
    assert partition_scope(part, []) == ' AND "district" =~ /^(?:29110|29155)$/'
    both = partition_scope(part, ["imp"])
    assert both == ' AND ("district" =~ /^(?:29110|29155)$/ OR "site" =~ /^(?:imp)$/)'
