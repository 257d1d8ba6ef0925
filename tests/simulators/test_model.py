"""The load model: deterministic, counters = integral of rates, consistent phases, sensible shapes."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

import pytest

from simulators.model.spec import LoadSpec
from simulators.model.state import MeterState

KST = timezone(timedelta(hours=9))


def at(year: int, month: int, day: int, hour: float = 0.0) -> float:
    return (datetime(year, month, day, tzinfo=KST) + timedelta(hours=hour)).timestamp()


def spec(
    utility: str,
    building: str = "apartment",
    households: float = 100.0,
    seed: int = 1,
    meter: str = "m",
) -> LoadSpec:
    return LoadSpec(seed, "site", meter, utility, building, households)


@pytest.mark.parametrize("utility", ["electricity", "gas", "water", "heat", "solar"])
def test_same_seed_same_values_whatever_the_ticks(utility: str) -> None:
    start = at(2025, 3, 1)
    end = start + 2 * 86400 + 1234.5
    one = MeterState.for_spec(spec(utility), start)
    two = MeterState.for_spec(spec(utility), start)
    rng = random.Random(5)
    t = start
    while t < end:  # irregular ticks, as requests and the ticker would come
        t = min(end, t + rng.uniform(1, 5000))
        two.snapshot(t)
    assert one.snapshot(end) == two.snapshot(end)
    other = MeterState.for_spec(spec(utility, seed=2), start)
    assert other.snapshot(end) != one.snapshot(end)


@pytest.mark.parametrize("utility", ["electricity", "gas", "water", "heat", "solar"])
def test_counters_are_the_integral_of_rates_and_never_fall(utility: str) -> None:
    start = at(2025, 1, 15)
    state = MeterState.for_spec(spec(utility), start)
    rate_field = {"electricity": "power_kw", "solar": "power_kw", "heat": "power_kw"}.get(
        utility, "flow_m3h"
    )
    counter = {"electricity": "energy_kwh", "solar": "energy_kwh", "heat": "energy_kwh"}.get(
        utility, "volume_m3"
    )
    step = 20.0
    previous = state.snapshot(start)
    integral = 0.0
    t = start
    while t < start + 86400:
        now = state.snapshot(t + step)
        for name in state.instrument.counters:
            assert now[name] >= previous[name]
        integral += (previous[rate_field] + now[rate_field]) / 2 * step / 3600
        previous = now
        t += step
    grown = previous[counter] - state.instrument.initial_counters()[0]
    assert grown > 0
    assert grown == pytest.approx(integral, rel=0.01)


def test_three_phases_add_up() -> None:
    state = MeterState.for_spec(spec("electricity", "industrial"), at(2025, 5, 7))
    for hour in range(0, 24, 3):
        v = state.snapshot(at(2025, 5, 7, hour))
        total = sum(v[f"power_l{i}_kw"] for i in (1, 2, 3))
        assert total == pytest.approx(v["power_kw"], rel=1e-9)
        for i in (1, 2, 3):
            assert 220.0 <= v[f"voltage_l{i}_v"] <= 230.0
            expected = v[f"power_l{i}_kw"] * 1000 / (v[f"voltage_l{i}_v"] * v["power_factor"])
            assert v[f"current_l{i}_a"] == pytest.approx(expected, rel=1e-9)
        assert v["current_a"] == pytest.approx(sum(v[f"current_l{i}_a"] for i in (1, 2, 3)))
        assert 0.85 < v["power_factor"] < 1.0
        assert 59.9 < v["frequency_hz"] < 60.1


def _mean_rate(
    state: MeterState, field: str, days: list[tuple[int, int, int]], hour: float
) -> float:
    return sum(state.instrument.gauges(at(*d, hour))[field] for d in days) / len(days)


def test_household_electricity_peaks_in_the_evening_and_in_winter_mornings() -> None:
    state = MeterState.for_spec(spec("electricity"), at(2025, 1, 1))
    august = [(2025, 8, d) for d in range(4, 29)]
    assert _mean_rate(state, "power_kw", august, 21) > 1.2 * _mean_rate(
        state, "power_kw", august, 14
    )
    march = [(2025, 3, d) for d in range(3, 28)]
    assert _mean_rate(state, "power_kw", march, 9) > _mean_rate(state, "power_kw", march, 13)


def test_industry_works_shifts_on_weekdays() -> None:
    state = MeterState.for_spec(spec("electricity", "industrial"), at(2025, 1, 1))
    weekdays = [(2025, 4, d) for d in (7, 8, 9, 10, 11)]  # Mon-Fri
    sundays = [(2025, 4, d) for d in (6, 13, 20)]
    day_shift = _mean_rate(state, "power_kw", weekdays, 10)
    assert day_shift > 2 * _mean_rate(state, "power_kw", sundays, 10)
    assert day_shift > 1.5 * _mean_rate(state, "power_kw", weekdays, 3)


def test_solar_follows_the_sun_and_the_season() -> None:
    state = MeterState.for_spec(spec("solar"), at(2025, 1, 1))
    june = [(2025, 6, d) for d in range(1, 29)]
    assert _mean_rate(state, "power_kw", june, 0) == 0.0
    assert _mean_rate(state, "power_kw", june, 23) == 0.0
    noon = _mean_rate(state, "power_kw", june, 12.5)
    assert noon > 2 * _mean_rate(state, "power_kw", june, 8)
    december = [(2025, 12, d) for d in range(1, 29)]
    assert _mean_rate(state, "power_kw", december, 17.5) == 0.0  # dark by 17:30 in winter
    assert _mean_rate(state, "power_kw", june, 18) > 0.0  # still light in June
    # cloudy days produce less than clear ones: daily noon output varies a lot
    noons = [state.instrument.gauges(at(*d, 12.5))["power_kw"] for d in june]
    assert max(noons) > 2 * min(noons)


def test_gas_and_heat_follow_the_cold() -> None:
    for utility, field in (("gas", "flow_m3h"), ("heat", "power_kw")):
        state = MeterState.for_spec(spec(utility), at(2025, 1, 1))
        jan = [(2025, 1, d) for d in range(5, 25)]
        aug = [(2025, 8, d) for d in range(5, 25)]
        assert _mean_rate(state, field, jan, 7) > 5 * _mean_rate(state, field, aug, 7)


def test_heat_meter_flow_matches_power_and_temperatures() -> None:
    state = MeterState.for_spec(spec("heat"), at(2025, 1, 1))
    v = state.snapshot(at(2025, 1, 10, 7))
    assert v["supply_temp_c"] > v["return_temp_c"] > 20
    delivered = v["flow_m3h"] * 1.163 * (v["supply_temp_c"] - v["return_temp_c"])
    assert delivered == pytest.approx(v["power_kw"], rel=1e-9)


def test_time_zone_is_kst() -> None:
    # 12:30 KST is 03:30 UTC: the solar noon lands in UTC morning
    state = MeterState.for_spec(spec("solar"), at(2025, 1, 1))
    utc_morning = datetime(2025, 6, 10, 3, 30, tzinfo=UTC).timestamp()
    assert state.instrument.gauges(utc_morning)["power_kw"] > 0.0


def test_demo_meters_show_plausible_values_that_fit_their_registers() -> None:
    """Every demo meter, at a winter night and a summer noon: plausible, and encodable without pinning."""
    from simulators.registers import build_images
    from simulators.selection import load_specs, select
    from telemetry.codec import int_range, is_float
    from telemetry.fields import is_plausible
    from telemetry.registry import load_registry

    registry = load_registry("config/sites/demo.yaml")
    chosen = select(registry, [], [])
    specs = load_specs(chosen, seed=0)
    for x in chosen:
        images = build_images(registry.profile_of(x.meter))
        for t in (at(2025, 1, 20, 3), at(2025, 7, 20, 12.5), at(2025, 8, 5, 21)):
            values = MeterState.for_spec(specs[x.key], t - 3600).snapshot(t)
            for image in images.values():
                for spec in image.fields:
                    v = values[spec.field]
                    assert is_plausible(x.meter.utility, spec.field, v), (x.key, spec.field, v)
                    if is_float(spec.type):
                        continue
                    sf = image.sf.get(spec.scale_register) if spec.scale_register else None
                    factor = spec.scale * (10.0**sf if sf is not None else 1.0)
                    low, high = int_range(spec.type)
                    assert low <= (v - spec.offset) / factor < high, (x.key, spec.field, v)
