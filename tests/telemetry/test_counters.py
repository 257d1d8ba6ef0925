"""The counter continuity rule against the table of counter_cases/."""

from __future__ import annotations

from pathlib import Path

import pytest

from telemetry.counters import Continuity, Kind, max_rate_per_h
from tests.support.golden import case_files, case_id
from tests.telemetry.counter_table import CASES, events_text, load, run


@pytest.mark.parametrize("path", case_files(CASES), ids=case_id)
def test_case(path: Path) -> None:
    case = load(path)
    for n, (readings, expect) in enumerate(zip(case.passes(), case.expect, strict=True), 1):
        verdicts = run(case, readings)
        got = sum(s.amount for s in verdicts)
        assert got == pytest.approx(expect.consumption, abs=1e-6), f"{path.stem} pass {n}"
        assert events_text(verdicts) == expect.events, f"{path.stem} pass {n}"


def test_the_table_covers_the_required_situations() -> None:
    names = {p.stem for p in case_files(CASES)}
    assert {
        "steady",
        "zero_glitch",
        "spike",
        "reset_to_zero",
        "reset_to_small_value",
        "two_glitches_in_a_row",
        "glitch_first_reading_of_window",
        "glitch_last_reading",
        "rollover_32bit_known_wrap",
        "late_data_between_passes",
    } <= names


def test_fed_one_by_one_a_suspect_is_pending_at_once_then_settled() -> None:
    c = Continuity(max_rate_per_h("water", "volume_m3"))
    assert [s.kind for s in c.feed(0, 100.0)] == [Kind.OK]
    assert [s.kind for s in c.feed(60_000, 0.0)] == [Kind.PENDING]
    settled = c.feed(120_000, 100.5)
    assert [(s.ts, s.kind, s.amount) for s in settled] == [
        (60_000, Kind.GLITCH, 0.0),
        (120_000, Kind.OK, 0.5),
    ]


def test_rates_come_from_the_matching_rate_field() -> None:
    assert max_rate_per_h("electricity", "energy_kwh") == 100_000
    assert max_rate_per_h("heat", "energy_kwh") == 1_000_000
    assert max_rate_per_h("heat", "volume_m3") == 100_000
    with pytest.raises(ValueError, match="power_kw is not a counter"):
        max_rate_per_h("electricity", "power_kw")
