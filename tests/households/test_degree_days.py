"""Degree-days for Gwangju and weather-normalised savings against a household's own baseline."""

from __future__ import annotations

import calendar
import datetime as dt
import random

import pytest

from insights.degree_days import (
    NORMAL,
    DegreeDayBases,
    TooFewMonths,
    Weather,
    day_degree_days,
    degree_days_of,
    fit_baseline,
    month_degree_days,
    normalised_savings,
    weather_used,
)
from telemetry.climate import normal_daily_mean_c

BASELINE = [dt.date(2025, m, 1) for m in range(1, 13)]
REPORTING = [dt.date(2026, m, 1) for m in range(1, 13)]


def _days(months: list[dt.date]) -> list[dt.date]:
    return [
        m.replace(day=d)
        for m in months
        for d in range(1, calendar.monthrange(m.year, m.month)[1] + 1)
    ]


def test_day_degree_days_use_the_korean_bases() -> None:
    assert day_degree_days(10.0) == (8.0, 0.0)
    assert day_degree_days(28.5) == (0.0, 4.5)
    assert day_degree_days(20.0) == (0.0, 0.0)


def test_gwangju_normal_has_cold_januaries_and_hot_augusts() -> None:
    january = [normal_daily_mean_c(dt.date(2026, 1, d)) for d in range(1, 32)]
    august = [normal_daily_mean_c(dt.date(2026, 8, d)) for d in range(1, 32)]
    assert 0.0 < sum(january) / 31 < 2.0
    assert 25.0 < sum(august) / 31 < 27.0
    jan, aug = month_degree_days(dt.date(2026, 1, 15)), month_degree_days(dt.date(2026, 8, 1))
    assert jan.month == dt.date(2026, 1, 1) and jan.days == 31
    assert jan.hdd == pytest.approx(sum(18.0 - t for t in january), abs=0.01)
    assert jan.cdd == 0.0 and aug.hdd == 0.0 and aug.cdd > 30


def _use(months, weather=NORMAL, saving=0.0, seed=1):  # type: ignore[no-untyped-def]
    """2 kWh a day, 3 kWh per heating and 5 per cooling degree-day, 2% noise."""
    rng = random.Random(seed)
    dd = degree_days_of(months, weather)
    return {
        m: (2 * d.days + 3 * d.hdd + 5 * d.cdd) * (1 - saving) * (1 + rng.gauss(0, 0.02))
        for m, d in dd.items()
    }, dd


def test_the_baseline_model_recovers_its_slopes() -> None:
    use, dd = _use(BASELINE)
    model = fit_baseline(use, dd)
    assert model.base_per_day == pytest.approx(2, rel=0.2)
    assert model.heating_per_hdd == pytest.approx(3, rel=0.1)
    assert model.cooling_per_cdd == pytest.approx(5, rel=0.2)
    assert model.months == 12 and model.r2 > 0.9


def test_a_colder_year_does_not_hide_a_saving() -> None:
    """After enrolment the household saves 10% in a year 3 °C colder: its bills barely drop,
    the normalised savings still show 10%."""
    use_before, dd_before = _use(BASELINE)
    model = fit_baseline(use_before, dd_before)
    colder = Weather({d: normal_daily_mean_c(d) - 3.0 for d in _days(REPORTING)}, 156)
    use_after, dd_after = _use(REPORTING, colder, saving=0.10, seed=2)
    assert all(m.observed_days == m.days for m in dd_after.values())
    raw_pct = (1 - sum(use_after.values()) / sum(use_before.values())) * 100
    assert raw_pct < 5  # the plain comparison sees about half of it
    saved = normalised_savings(model, use_after, dd_after)
    assert saved.savings_pct == pytest.approx(10, abs=1.5)
    assert saved.savings == pytest.approx(saved.expected - saved.actual)


def test_no_summer_in_the_baseline_leaves_cooling_out() -> None:
    winter = [dt.date(2025, m, 1) for m in (1, 2, 3, 4, 11, 12)]
    use, dd = _use(winter)
    model = fit_baseline(use, dd)
    assert model.cooling_per_cdd == 0.0 and model.heating_per_hdd > 0
    with pytest.raises(TooFewMonths):
        fit_baseline(dict(list(use.items())[:3]), dd)


def test_observed_days_replace_the_normal_and_are_counted() -> None:
    january = dt.date(2026, 1, 1)
    observed = {january.replace(day=d): -5.0 for d in range(1, 11)}  # ten cold days observed
    dd = month_degree_days(january, Weather(observed, 156))
    rest = sum(18.0 - normal_daily_mean_c(january.replace(day=d)) for d in range(11, 32))
    assert dd.observed_days == 10 and dd.days == 31
    assert dd.hdd == pytest.approx(10 * 23.0 + rest, abs=0.01)
    used = weather_used([dd], Weather(observed, 156))
    assert (used.kind, used.observed_days, used.days, used.station) == ("mixed", 10, 31, 156)
    normal = month_degree_days(january)
    assert normal.observed_days == 0 and normal.hdd < dd.hdd
    assert weather_used([normal], Weather({}, 156)).kind == "normal"
    assert weather_used([normal], Weather({}, 156)).station is None


def test_the_bases_are_configurable() -> None:
    warm = DegreeDayBases(heating_c=20.0, cooling_c=26.0)
    assert day_degree_days(10.0, warm) == (10.0, 0.0)
    assert day_degree_days(28.5, warm) == (0.0, 2.5)
    august = dt.date(2026, 8, 1)
    observed = {august.replace(day=d): 27.0 for d in range(1, 32)}
    kma = month_degree_days(august, Weather(observed, 156))
    assert kma.cdd == pytest.approx(31 * 3.0) and kma.observed_days == 31
    assert month_degree_days(august, Weather(observed, 156, warm)).cdd == pytest.approx(31 * 1.0)
    with pytest.raises(ValueError, match="above cooling_c"):
        DegreeDayBases(heating_c=25.0, cooling_c=20.0)
