"""Weather normalisation of a household's savings with heating and cooling degree-days.

Degree-days per KST day from its mean outdoor temperature: heating
`max(0, base_h − t)`, cooling `max(0, t − base_c)`; the bases are configurable
(`DegreeDayBases`, config/api.yaml `weather.degree_days`), by default 18 °C and
24 °C (the bases of KMA's 난방도일 and 냉방도일). A day's mean is the observed
one where the `Weather` has it (KMA ASOS daily data, telemetry/db/weather.py),
else Gwangju's climate normal (telemetry.climate), which normalises for season
but not for an unusually cold or hot year; each month counts its observed days.

The baseline model (IPMVP option C, ASHRAE Guideline 14 style) is fitted by
least squares on the household's months before it enrolled:

    use[month] = base × days[month] + heating × HDD[month] + cooling × CDD[month]

A term whose degree-days the baseline months barely saw (no summer before
enrolment: cooling cannot be told from base load), or whose fitted slope
comes out negative, is left out and the rest refitted. Savings in the
reporting months = the model's use at their degree-days − the actual use.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, Self

import numpy as np
from pydantic import Field, model_validator

from telemetry.climate import normal_daily_mean_c
from telemetry.config.strict import FrozenStrictModel

MIN_DEGREE_DAYS = 10.0  # per term, over all baseline months: less cannot be fitted
MIN_BASELINE_MONTHS = 6

Temperatures = Callable[[dt.date], float]


class DegreeDayBases(FrozenStrictModel):
    """Base temperatures of degree-days (config/api.yaml `weather.degree_days`)."""

    heating_c: float = Field(default=18.0, ge=0, le=30, description="heating below this mean")
    cooling_c: float = Field(default=24.0, ge=10, le=40, description="cooling above this mean")

    @model_validator(mode="after")
    def _heating_below_cooling(self) -> Self:
        if self.heating_c > self.cooling_c:
            raise ValueError(f"heating_c {self.heating_c} is above cooling_c {self.cooling_c}")
        return self


KMA_BASES = DegreeDayBases()


@dataclass(frozen=True, slots=True)
class Weather:
    """The daily means degree-days are computed from: observed where given, else `normal`."""

    observed: Mapping[dt.date, float] = field(default_factory=dict)  # KST day -> mean °C
    station: int | None = None  # where `observed` was measured (KMA station number)
    bases: DegreeDayBases = KMA_BASES
    normal: Temperatures = normal_daily_mean_c


NORMAL = Weather()


@dataclass(frozen=True, slots=True)
class MonthDegreeDays:
    month: dt.date  # first day of the KST month
    days: int
    hdd: float
    cdd: float
    observed_days: int = 0  # days of the month whose mean was observed (the rest: the normal)


@dataclass(frozen=True, slots=True)
class WeatherUsed:
    """Which temperatures a figure's degree-days came from."""

    kind: Literal["observed", "normal", "mixed"]
    observed_days: int
    days: int
    station: int | None  # None when no day was observed


def weather_used(dd: Iterable[MonthDegreeDays], weather: Weather) -> WeatherUsed:
    months = list(dd)
    observed, days = sum(m.observed_days for m in months), sum(m.days for m in months)
    kind = "normal" if observed == 0 else "observed" if observed == days else "mixed"
    return WeatherUsed(kind, observed, days, weather.station if observed else None)


def day_degree_days(mean_c: float, bases: DegreeDayBases = KMA_BASES) -> tuple[float, float]:
    """(heating, cooling) degree-days of a day with this mean temperature."""
    return max(0.0, bases.heating_c - mean_c), max(0.0, mean_c - bases.cooling_c)


def month_degree_days(month: dt.date, weather: Weather = NORMAL) -> MonthDegreeDays:
    days = calendar.monthrange(month.year, month.month)[1]
    hdd = cdd = 0.0
    observed = 0
    for d in range(1, days + 1):
        day = month.replace(day=d)
        mean = weather.observed.get(day)
        observed += mean is not None
        heating, cooling = day_degree_days(
            weather.normal(day) if mean is None else mean, weather.bases
        )
        hdd += heating
        cdd += cooling
    return MonthDegreeDays(month.replace(day=1), days, round(hdd, 3), round(cdd, 3), observed)


@dataclass(frozen=True, slots=True)
class BaselineModel:
    base_per_day: float
    heating_per_hdd: float  # 0 when left out
    cooling_per_cdd: float  # 0 when left out
    months: int
    r2: float | None

    def expected(self, dd: MonthDegreeDays) -> float:
        return (
            self.base_per_day * dd.days
            + self.heating_per_hdd * dd.hdd
            + self.cooling_per_cdd * dd.cdd
        )


class TooFewMonths(ValueError):
    """The baseline has fewer months than a fit needs."""


def fit_baseline(
    use: Mapping[dt.date, float],
    dd: Mapping[dt.date, MonthDegreeDays],
    weather: tuple[str, ...] = ("heating", "cooling"),
) -> BaselineModel:
    """Least squares over the baseline months (those in both `use` and `dd`); `weather`:
    the degree-day terms the utility may have (none: use per day only)."""
    months = sorted(m for m in use if m in dd)
    if len(months) < MIN_BASELINE_MONTHS:
        raise TooFewMonths(f"{len(months)} baseline months; at least {MIN_BASELINE_MONTHS}")
    y = np.array([use[m] for m in months])
    columns = {
        "base": np.array([dd[m].days for m in months], dtype=float),
        "heating": np.array([dd[m].hdd for m in months]),
        "cooling": np.array([dd[m].cdd for m in months]),
    }
    terms = ["base"] + [t for t in weather if columns[t].sum() >= MIN_DEGREE_DAYS]
    while True:
        x = np.column_stack([columns[t] for t in terms])
        coef, *_ = np.linalg.lstsq(x, y, rcond=None)
        negative = [t for t, c in zip(terms, coef, strict=True) if t != "base" and c < 0]
        if not negative:
            break
        terms.remove(negative[0])
    fitted = dict(zip(terms, (float(c) for c in coef), strict=True))
    residual = y - x @ coef
    spread = float(((y - y.mean()) ** 2).sum())
    return BaselineModel(
        base_per_day=fitted["base"],
        heating_per_hdd=fitted.get("heating", 0.0),
        cooling_per_cdd=fitted.get("cooling", 0.0),
        months=len(months),
        r2=1 - float((residual**2).sum()) / spread if spread > 0 else None,
    )


@dataclass(frozen=True, slots=True)
class NormalisedSavings:
    expected: float  # what the baseline model says the reporting months would have used
    actual: float
    savings: float  # expected - actual (negative: used more)
    savings_pct: float | None


def normalised_savings(
    model: BaselineModel, use: Mapping[dt.date, float], dd: Mapping[dt.date, MonthDegreeDays]
) -> NormalisedSavings:
    months = [m for m in use if m in dd]
    expected = sum(model.expected(dd[m]) for m in months)
    actual = sum(use[m] for m in months)
    saved = expected - actual
    return NormalisedSavings(
        expected, actual, saved, saved / expected * 100 if expected > 0 else None
    )


def degree_days_of(
    months: Iterable[dt.date], weather: Weather = NORMAL
) -> dict[dt.date, MonthDegreeDays]:
    return {m.replace(day=1): month_degree_days(m, weather) for m in months}
