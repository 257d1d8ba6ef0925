"""Rollups written by the real `python -m collector.rollup` process against brute force over raw."""

from __future__ import annotations

import pytest

from collector.rollup.periods import day_of
from telemetry.influx_schema import rollup_from
from tests.rollup import brute, city
from tests.rollup.conftest import RolledCity

pytestmark = pytest.mark.timeout(120)


def test_hourly_groups_equal_brute_force_over_raw(rolled: RolledCity) -> None:
    expected = brute.hourly_consumption(rolled.ql, rolled.raw)
    got = brute.stored(rolled.ql, rolled.raw, "consumption_1h", "consumption")
    assert set(got) == set(expected)
    for key, value in expected.items():
        assert got[key]["consumption"] == pytest.approx(value, rel=1e-9, abs=1e-6), key


def test_replaced_meter_counts_only_real_use(rolled: RolledCity) -> None:
    """Across the replacement the meter used rate/60 per minute, never the old counter."""
    rows = rolled.ql.rows(
        f"SELECT consumption, resets FROM {rollup_from('meter_consumption_1h')} WHERE site = 'ind-2'",
        rolled.raw,
        epoch="ms",
    )
    spec = next(m for m in city.meters() if m.site == "ind-2")
    replaced_hour = rolled.start_ms + spec.replaced_at * city.MINUTE
    replaced_hour -= replaced_hour % city.HOUR
    full_hours = [r for r in rows if rolled.start_ms < r["time"] < rolled.end_ms - city.HOUR]
    assert full_hours, rows
    for row in full_hours:
        assert row["consumption"] == pytest.approx(spec.rate, rel=1e-9), row
    assert sum(r["resets"] for r in rows) == 1
    assert next(r for r in rows if r["time"] == replaced_hour)["resets"] == 1


@pytest.mark.parametrize("n", sorted(city.BOGUS))
def test_bogus_reads_count_as_events_not_consumption(rolled: RolledCity, n: int) -> None:
    """Glitches and spikes leave each full hour at rate kWh and are counted in their hour."""
    rows = rolled.ql.rows(
        f"SELECT consumption, resets, glitches, spikes FROM {rollup_from('meter_consumption_1h')} "
        f"WHERE site = 'ind-{n}' AND meter = 'main-elec'",
        rolled.raw,
        epoch="ms",
    )
    spec = next(m for m in city.meters() if (m.site, m.meter) == (f"ind-{n}", "main-elec"))
    full_hours = [r for r in rows if rolled.start_ms < r["time"] < rolled.end_ms - city.HOUR]
    assert full_hours, rows
    for row in full_hours:
        assert row["consumption"] == pytest.approx(spec.rate, rel=1e-9), row
    assert sum(r["resets"] for r in rows) == 0
    events = rolled.ql.rows(
        f"SELECT kind, value FROM {rollup_from('counter_events')} WHERE site = 'ind-{n}' AND meter = 'main-elec'",
        rolled.raw,
        epoch="ms",
    )
    bogus = [(rolled.start_ms + i * city.MINUTE, v) for i, v in spec.bogus]
    assert [(e["time"], e["value"]) for e in events] == bogus
    kinds = ["glitch" if v == 0 else "spike" for _, v in spec.bogus]
    assert [e["kind"] for e in events] == kinds
    assert sum(r["glitches"] for r in rows) == kinds.count("glitch")
    assert sum(r["spikes"] for r in rows) == kinds.count("spike")


def test_live_equals_brute_force_over_raw(rolled: RolledCity) -> None:
    expected = brute.live(rolled.ql, rolled.raw)
    got = brute.stored(rolled.ql, rolled.raw, "live_1m", "rate, meters")
    assert set(got) == set(expected)
    for key, (rate, meters) in expected.items():
        assert got[key]["rate"] == pytest.approx(rate), key
        assert got[key]["meters"] == meters, key


def test_daily_is_the_sum_of_hours_per_kst_day(rolled: RolledCity) -> None:
    hours = brute.stored(rolled.ql, rolled.raw, "consumption_1h", "consumption")
    days = brute.stored(rolled.ql, rolled.raw, "consumption_1d", "consumption")
    expected: dict[tuple, float] = {}
    for (*group, ts), row in hours.items():
        key = (*group, day_of(ts))
        expected[key] = expected.get(key, 0.0) + row["consumption"]
    assert set(days) == set(expected)
    for key, value in expected.items():
        assert days[key]["consumption"] == pytest.approx(value), key


def test_co2e_uses_the_configured_factor(rolled: RolledCity) -> None:
    rows = brute.stored(rolled.ql, rolled.raw, "consumption_1h", "consumption, co2e_kg")
    assert rows
    for (utility, *_), row in rows.items():
        factor = 0.4173  # config/emission_factors.yaml: electricity and solar (avoided)
        assert utility in ("electricity", "solar")
        assert row["co2e_kg"] == pytest.approx(row["consumption"] * factor)


def test_group_below_k_is_absent_from_public_and_recorded(rolled: RolledCity) -> None:
    for measurement in ("live_1m", "consumption_1h", "consumption_1d"):
        public = brute.stored(rolled.ql, rolled.public, measurement, "*", public=True)
        private = brute.stored(rolled.ql, rolled.raw, measurement, "*")
        assert public, measurement
        leaked = [k for k in public if city.SUPPRESSED_DISTRICT in k or k[3] == "detached_house"]
        assert leaked == [], measurement
        # Everything else is public, with the same numbers as in the private bucket.
        for key, row in public.items():
            assert row == private[key]
        assert any(city.SUPPRESSED_DONG in k for k in private)
    held = rolled.ql.rows(
        f"SELECT holders, k FROM {rollup_from('suppressed')} WHERE dong = '{city.SUPPRESSED_DONG}'",
        rolled.raw,
    )
    assert held and all(r["holders"] == 3 and r["k"] == 5 for r in held)
    tags = rolled.ql.rows("SHOW TAG VALUES WITH KEY = district", rolled.public)
    assert city.SUPPRESSED_DISTRICT not in {r["value"] for r in tags}


def test_a_second_pass_rewrites_the_same_points(rolled: RolledCity) -> None:
    def snapshot() -> dict:
        return {
            (db, m): brute.stored(rolled.ql, db, m, "*")
            for db in (rolled.raw, rolled.public)
            for m in ("consumption_1h", "consumption_1d", "live_1m")
        }

    before = snapshot()
    rolled.rollup()
    assert snapshot() == before
