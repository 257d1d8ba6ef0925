"""Quality rules: non-finite dropped, out of range bad, counters going back uncertain."""

from __future__ import annotations

import math

from edge_agent.plausibility import CounterTracker, judge
from telemetry.fields import Utility
from telemetry.models import Quality, Reading


def test_good_values_stay_good() -> None:
    v = judge(Utility.ELECTRICITY, {"energy_kwh": 10.0, "power_kw": 2.0}, CounterTracker())
    assert v.quality is Quality.GOOD and v.values == {"energy_kwh": 10.0, "power_kw": 2.0}


def test_nan_and_inf_are_dropped_and_the_reading_is_bad() -> None:
    v = judge(
        Utility.ELECTRICITY,
        {"power_kw": math.nan, "voltage_v": math.inf, "energy_kwh": 5.0},
        CounterTracker(),
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
    v = judge(Utility.GAS, {"volume_m3": math.nan, "flow_m3h": -math.inf}, CounterTracker())
    assert v.values == {} and v.quality is Quality.BAD


def test_out_of_range_is_kept_but_bad() -> None:
    v = judge(Utility.HEAT, {"supply_temp_c": 900.0, "energy_kwh": 1.0}, CounterTracker())
    assert v.quality is Quality.BAD
    assert v.values["supply_temp_c"] == 900.0 and v.out_of_range == ["supply_temp_c"]
    assert "supply_temp_c" in v.problems[0]


def test_counter_going_back_is_uncertain_once_then_the_new_baseline() -> None:
    counters = CounterTracker()
    assert judge(Utility.WATER, {"volume_m3": 100.0}, counters).quality is Quality.GOOD
    back = judge(Utility.WATER, {"volume_m3": 3.0}, counters)
    assert back.quality is Quality.UNCERTAIN and back.counter_resets == ["volume_m3"]
    assert "went back from 100 to 3" in back.problems[0]
    assert judge(Utility.WATER, {"volume_m3": 3.5}, counters).quality is Quality.GOOD


def test_a_bad_reading_does_not_become_the_counter_baseline() -> None:
    counters = CounterTracker()
    judge(Utility.GAS, {"volume_m3": 100.0}, counters)
    garbage = judge(Utility.GAS, {"volume_m3": 5e13, "flow_m3h": 1.0}, counters)
    assert garbage.quality is Quality.BAD
    assert judge(Utility.GAS, {"volume_m3": 101.0}, counters).quality is Quality.GOOD


def test_gauges_may_go_down() -> None:
    counters = CounterTracker()
    judge(Utility.GAS, {"flow_m3h": 5.0}, counters)
    assert judge(Utility.GAS, {"flow_m3h": 1.0}, counters).quality is Quality.GOOD
