"""A simulated month per household lands in the domain reference's ranges.

Two ways: the load model's time-stepped integration that `serve` runs
(exact months, every utility), and `serve` itself at --speed read over Modbus.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from simulators.model.state import MeterState
from simulators.selection import load_specs, select
from telemetry.codec import ByteOrder, RegisterType, decode
from telemetry.registry import load_registry
from tests.simulators.modbus_client import read

KST = timezone(timedelta(hours=9))
KWH_PER_GCAL = 1163.0

# per household and month, from shared/domain/README.md (with room for weather and noise)
RANGES = {
    ("electricity", 1): (280.0, 340.0),  # ~307 kWh/month
    ("electricity", 8): (325.0, 363.0),  # August 325-363 kWh
    ("gas", 1): (100.0, 140.0),  # ~120 m³ in January
    ("gas", 8): (3.0, 25.0),  # summer: cooking and hot water only
    ("water", 1): (17.0, 21.0),  # 18-20 m³ for 4 persons
    ("water", 8): (17.0, 21.5),
    ("heat", 1): (1.1 * KWH_PER_GCAL, 1.5 * KWH_PER_GCAL),  # ~1.3 Gcal in January
}


def month_bounds(year: int, month: int) -> tuple[float, float]:
    start = datetime(year, month, 1, tzinfo=KST)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=KST)
    return start.timestamp(), end.timestamp()


def demo_apartment_specs(seed: int = 0):
    """The demo config's apartment meters, with households as `serve` shares them."""
    registry = load_registry("config/sites/demo.yaml")
    chosen = [x for x in select(registry, [], []) if x.site.building_type.value == "apartment"]
    return load_specs(chosen, seed)


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("utility", "month"), sorted(RANGES))
def test_month_per_household_in_domain_range(utility: str, month: int) -> None:
    specs = [s for s in demo_apartment_specs().values() if s.utility == utility]
    assert specs, utility
    spec = specs[0]  # one meter is enough: they share the model, only the seed key differs
    start, end = month_bounds(2025, month)
    state = MeterState.for_spec(spec, start)
    counter = state.instrument.counters[0]
    before = state.counters_at(start)[counter]
    used = state.counters_at(end)[counter] - before
    per_household = used / spec.households
    low, high = RANGES[(utility, month)]
    assert low <= per_household <= high, f"{utility} month {month}: {per_household:.1f}"


@pytest.mark.timeout(120)
def test_gas_yearly_average_near_46() -> None:
    spec = next(s for s in demo_apartment_specs().values() if s.utility == "gas")
    start, _ = month_bounds(2025, 1)
    _, end = month_bounds(2025, 12)
    state = MeterState.for_spec(spec, start, step_s=600.0)  # coarser grid: a year, quickly
    before = state.counters_at(start)["volume_m3"]
    used = state.counters_at(end)["volume_m3"] - before
    assert 38.0 <= used / spec.households / 12 <= 55.0


SPEED = 200_000.0  # a 31-day month in ~13 s of wall time


@pytest.mark.timeout(120)
def test_month_at_speed_over_modbus(serve, sim_config) -> None:
    """`serve --speed` read over Modbus: rates per household over ~a January, from counters."""
    config, ports = sim_config
    serve(
        "--config", str(config), "--site", "test-apt",
        "--start", "2025-01-01T00:00:00+09:00", "--speed", str(SPEED), "--seed", "4",
    )  # fmt: skip
    households = 100.0  # tests/simulators/conftest.py: one meter per utility

    def counters() -> tuple[float, dict[str, float]]:
        wall = time.monotonic()
        gw = ports["gw"]
        elec = read(gw, 1, 72, 2).registers
        gas = read(gw, 10, 0, 2, table="holding").registers
        water = read(gw, 11, 100, 4, table="holding").registers
        heat = read(gw, 12, 0, 4).registers
        assert elec and gas and water and heat
        return (time.monotonic() + wall) / 2, {
            "electricity": decode(elec, RegisterType.FLOAT32, ByteOrder.ABCD),
            "gas": decode(gas, RegisterType.UINT32, ByteOrder.CDAB) * 0.01,
            "water": decode(water, RegisterType.UINT64, ByteOrder.GHEFCDAB) * 0.001,
            "heat": decode(heat, RegisterType.FLOAT64, ByteOrder.ABCDEFGH),
        }

    t0, first = counters()
    time.sleep(25 * 86400 / SPEED)  # 25 simulated January days
    t1, last = counters()
    sim_days = (t1 - t0) * SPEED / 86400
    for utility in ("electricity", "gas", "water", "heat"):
        per_month = (last[utility] - first[utility]) / households / sim_days * 31
        low, high = RANGES[(utility, 1)]
        # a window of the month, not the whole month: allow for its weather
        print(f"{utility}: {per_month:.1f} per household over {sim_days:.1f} days, scaled to 31")
        assert 0.85 * low <= per_month <= 1.15 * high, f"{utility}: {per_month:.1f}"
