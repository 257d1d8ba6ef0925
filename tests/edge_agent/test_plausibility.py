"""Quality rules: non-finite dropped, out of range bad, counters by the shared continuity rule."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from edge_agent.plausibility import CounterTracker, judge
from telemetry.codec import RegisterType
from telemetry.counters import Kind, register_wraps
from telemetry.fields import Utility
from telemetry.models import Quality, Reading
from telemetry.registry.profiles import Profile
from tests.support.golden import case_files, case_id
from tests.telemetry.counter_table import CASES, MINUTE_MS, load

T = 1_800_000_000_000  # any time, ms


def test_good_values_stay_good() -> None:
    v = judge(Utility.ELECTRICITY, {"energy_kwh": 10.0, "power_kw": 2.0}, CounterTracker(), T)
    assert v.quality is Quality.GOOD and v.values == {"energy_kwh": 10.0, "power_kw": 2.0}


def test_nan_and_inf_are_dropped_and_the_reading_is_bad() -> None:
    v = judge(
        Utility.ELECTRICITY,
        {"power_kw": math.nan, "voltage_v": math.inf, "energy_kwh": 5.0},
        CounterTracker(),
        T,
    )
    assert v.quality is Quality.BAD
    assert v.values == {"energy_kwh": 5.0}
    assert sorted(v.nonfinite) == ["power_kw", "voltage_v"]
    # What is left is valid on the wire.
    Reading(
        meter="m",
        utility="electricity",
        ts="2026-01-01T00:00:00Z",
        values=v.values,
        quality=v.quality,
    )


def test_only_nonfinite_values_leave_nothing_to_send() -> None:
    v = judge(Utility.GAS, {"volume_m3": math.nan, "flow_m3h": -math.inf}, CounterTracker(), T)
    assert v.values == {} and v.quality is Quality.BAD


def test_out_of_range_is_kept_but_bad() -> None:
    v = judge(Utility.HEAT, {"supply_temp_c": 900.0, "energy_kwh": 1.0}, CounterTracker(), T)
    assert v.quality is Quality.BAD
    assert v.values["supply_temp_c"] == 900.0 and v.out_of_range == ["supply_temp_c"]
    assert "supply_temp_c" in v.problems[0]


def test_a_reset_is_uncertain_until_three_readings_confirm_it() -> None:
    counters = CounterTracker()

    def read(minute: int, value: float):
        return judge(Utility.WATER, {"volume_m3": value}, counters, T + minute * MINUTE_MS)

    assert read(0, 100.0).quality is Quality.GOOD
    back = read(1, 3.0)
    assert back.quality is Quality.UNCERTAIN and back.counter_resets == []
    assert "3 does not follow 100" in back.problems[0]
    assert read(2, 3.5).quality is read(3, 4.0).quality is Quality.UNCERTAIN
    confirmed = read(4, 4.5)
    assert confirmed.quality is Quality.GOOD and confirmed.counter_resets == ["volume_m3"]
    assert "went back from 100 to 3" in confirmed.problems[0]
    assert read(5, 5.0).quality is Quality.GOOD


def test_a_zero_read_is_uncertain_then_reported_as_a_glitch() -> None:
    counters = CounterTracker()
    judge(Utility.WATER, {"volume_m3": 100.0}, counters, T)
    assert (
        judge(Utility.WATER, {"volume_m3": 0.0}, counters, T + 60_000).quality is Quality.UNCERTAIN
    )
    back = judge(Utility.WATER, {"volume_m3": 100.2}, counters, T + 120_000)
    assert back.quality is Quality.GOOD and back.counter_glitches == ["volume_m3"]
    assert back.counter_resets == [] and "was a glitch" in back.problems[0]


@pytest.mark.parametrize("path", case_files(CASES), ids=case_id)
def test_the_agent_agrees_with_the_counter_table(path: Path) -> None:
    """Fed one reading at a time: suspects uncertain at once, events as the table says."""
    case = load(path)
    readings = case.passes()[-1]
    counters = CounterTracker({"energy_kwh": case.wrap} if case.wrap else None)
    events, uncertain = [], []
    for ts, value in readings:
        v = judge(Utility.ELECTRICITY, {"energy_kwh": value}, counters, ts)
        events.extend(v.counter_events)
        if v.quality is Quality.UNCERTAIN:
            uncertain.append(ts)
    pending = [p.ts for p in counters.states["energy_kwh"].pending]
    got = ", ".join(
        [f"{e.ts // MINUTE_MS} {e.kind.value}" for e in sorted(events, key=lambda e: e.ts)]
        + [f"{ts // MINUTE_MS} pending" for ts in pending]
    )
    if case.window is None:  # the table's events are those of a window otherwise
        assert got == case.expect[-1].events
    # Every suspect reading (an event or still pending) was uncertain when it was read,
    # but for a spike the meter could have reached, which only the return gave away.
    given_away = path.stem == "spike_within_rate"
    suspects = {e.ts for e in events if not (given_away and e.kind is Kind.SPIKE)}
    assert suspects | set(pending) <= set(uncertain)
    assert all(e.kind in (Kind.GLITCH, Kind.SPIKE, Kind.RESET, Kind.ROLLOVER) for e in events)


def test_wraps_come_from_unsigned_registers_with_a_fixed_scale() -> None:
    profile = Profile.model_validate(
        {
            "id": "p",
            "description": "d",
            "utility": "electricity",
            "fields": [
                {"field": "energy_kwh", "address": 0, "type": RegisterType.UINT32, "scale": 0.01},
                {"field": "energy_export_kwh", "address": 2, "type": "int32"},
                {"field": "power_kw", "address": 4, "type": "uint32"},
            ],
        }
    )
    assert register_wraps(profile) == {"energy_kwh": pytest.approx(42_949_672.96)}


def test_a_bad_reading_does_not_become_the_counter_baseline() -> None:
    counters = CounterTracker()
    judge(Utility.GAS, {"volume_m3": 100.0}, counters, T)
    garbage = judge(Utility.GAS, {"volume_m3": 5e13, "flow_m3h": 1.0}, counters, T)
    assert garbage.quality is Quality.BAD
    assert judge(Utility.GAS, {"volume_m3": 101.0}, counters, T).quality is Quality.GOOD


def test_gauges_may_go_down() -> None:
    counters = CounterTracker()
    judge(Utility.GAS, {"flow_m3h": 5.0}, counters, T)
    assert judge(Utility.GAS, {"flow_m3h": 1.0}, counters, T).quality is Quality.GOOD
