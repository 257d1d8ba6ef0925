"""Read planning: coalescing, caps, gaps and splitting on exception 2."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from edge_agent.planner import (
    Block,
    Span,
    coalesce,
    effective_cap,
    plan_reads,
    profile_spans,
    split,
)
from telemetry.paths import config_dir
from telemetry.registry import load_profiles
from telemetry.registry.profiles import Table

PROFILES = load_profiles(config_dir() / "profiles")


def _shape(blocks: list[Block]) -> list[tuple[str, int, int]]:
    return [(b.table.value, b.start, b.count) for b in blocks]


def test_sdm630_reads_two_blocks_within_its_80_register_cap() -> None:
    blocks = plan_reads(PROFILES["eastron_sdm630"])
    # 0..17 (phase values), then 42..75: the 24-register hole exceeds max_gap 8.
    assert _shape(blocks) == [("input", 0, 18), ("input", 42, 34)]
    assert all(b.count <= 80 for b in blocks)


def test_sunspec_fields_and_scale_registers_come_in_one_request() -> None:
    profile = PROFILES["sunspec_inverter_103"]
    blocks = plan_reads(profile)
    assert _shape(blocks) == [("holding", 40071, 25)]
    covered = {a for b in blocks for s in b.spans for a in range(s.start, s.end)}
    scale_registers = {f.scale_register for f in profile.fields}
    assert scale_registers <= covered


def test_device_cap_below_the_profile_cap_makes_more_smaller_requests() -> None:
    profile = PROFILES["sunspec_inverter_103"]
    blocks = plan_reads(profile, device_cap=8)
    assert len(blocks) > 1
    assert all(b.count <= 8 for b in blocks)
    assert effective_cap(profile, 8) == 8
    assert effective_cap(profile, 500) == 125


def test_uncoalesced_plan_is_one_request_per_span() -> None:
    profile = PROFILES["gw_heat_mbus_v1"]
    assert len(plan_reads(profile, coalesced=False)) == len(profile_spans(profile)) == 6
    assert _shape(plan_reads(profile)) == [("input", 0, 16)]


def test_tables_are_never_mixed() -> None:
    spans = [Span(Table.HOLDING, 0, 2), Span(Table.INPUT, 2, 2)]
    assert len(coalesce(spans, max_gap=10, cap=125)) == 2


def test_split_halves_until_single_spans() -> None:
    block = Block(Table.HOLDING, tuple(Span(Table.HOLDING, a, 1) for a in (0, 2, 4, 6, 8)))
    halves = split(block)
    assert [len(h.spans) for h in halves] == [2, 3]
    assert [s for h in halves for s in h.spans] == list(block.spans)
    single = Block(Table.HOLDING, (Span(Table.HOLDING, 0, 2),))
    assert split(single) == [single]


@st.composite
def _spans(draw: st.DrawFn) -> list[Span]:
    starts = draw(st.lists(st.integers(0, 400), min_size=1, max_size=40, unique=True))
    spans: list[Span] = []
    taken: set[int] = set()
    for start in sorted(starts):
        width = draw(st.sampled_from([1, 2, 4]))
        cells = set(range(start, start + width))
        if cells & taken:
            continue
        taken |= cells
        spans.append(Span(Table.HOLDING, start, width))
    return spans


@given(_spans(), st.integers(0, 20), st.integers(4, 125))
def test_every_span_in_exactly_one_block_within_cap_and_gap(
    spans: list[Span], max_gap: int, cap: int
) -> None:
    blocks = coalesce(spans, max_gap, cap)
    placed = [s for b in blocks for s in b.spans]
    assert sorted(placed) == sorted(spans)
    for block in blocks:
        assert block.count <= cap
        ordered = sorted(block.spans)
        for before, after in itertools.pairwise(ordered):
            assert after.start - before.end <= max_gap
