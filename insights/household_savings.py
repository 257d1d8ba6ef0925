"""A household's savings against its own pre-enrolment baseline, weather-normalised.

The enrolment: the one open today, else the latest that has started. Baseline:
the household's months before the enrolment month (the last
`BASELINE_MAX_MONTHS` of them; at least `MIN_BASELINE_MONTHS`). Reporting:
the whole months after the enrolment month, while enrolled, before the current
(unfinished) month. The enrolment month itself is neither (part before, part
after).

Per utility, what weather may explain (degree_days.py fits
`use = base × days + heating × HDD + cooling × CDD` on the baseline months and
drops a term the baseline cannot support):
- electricity: heating and cooling degree-days (air conditioners in summer,
  electric heaters and heat pumps in winter);
- gas and district heat: heating degree-days only (space heating; hot water and
  cooking are the base load);
- water: no weather term, use per day only (the baseline's daily rate × days);
- solar: generation, not use: no savings are computed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from insights.degree_days import (
    MIN_BASELINE_MONTHS,
    NORMAL,
    BaselineModel,
    Weather,
    WeatherUsed,
    degree_days_of,
    fit_baseline,
    normalised_savings,
    weather_used,
)
from insights.household_months import MonthUse
from telemetry.registry.households import Enrolment, Household

BASELINE_MAX_MONTHS = 12
WEATHER: dict[str, tuple[str, ...]] = {
    "electricity": ("heating", "cooling"),
    "gas": ("heating",),
    "heat": ("heating",),
    "water": (),
}

SavingsStatus = Literal[
    "ok", "no_enrolment", "too_few_baseline_months", "no_reporting_months", "not_applicable"
]


@dataclass(frozen=True)
class UtilitySavings:
    status: SavingsStatus
    weather: tuple[str, ...] = ()  # the degree-day terms this utility may have
    baseline_months: list[dt.date] = field(default_factory=list)
    reporting_months: list[dt.date] = field(default_factory=list)
    model: BaselineModel | None = None
    expected: float | None = None  # the baseline model's use over the reporting months
    actual: float | None = None
    savings: float | None = None  # expected − actual (negative: used more)
    savings_pct: float | None = None
    # Whose temperatures the degree-days of the baseline and reporting months came from;
    # None when no degree-days were used (no weather term, or no figure).
    weather_used: WeatherUsed | None = None


def enrolment_of(h: Household, today: dt.date) -> Enrolment | None:
    """The enrolment open today, else the latest one that has started."""
    started = [e for e in h.enrolments if e.start <= today]
    open_ = [e for e in started if e.covers(today)]
    return max(open_ or started, key=lambda e: e.start, default=None)


def _month(d: dt.date) -> dt.date:
    return d.replace(day=1)


def split_months(
    months: Sequence[dt.date], enrolment: Enrolment, today: dt.date
) -> tuple[list[dt.date], list[dt.date]]:
    """(baseline, reporting) months of an enrolment among the months with data."""
    joined = _month(enrolment.start)
    left = _month(enrolment.end) if enrolment.end else None
    baseline = sorted(m for m in months if m < joined)[-BASELINE_MAX_MONTHS:]
    reporting = sorted(
        m for m in months if joined < m < _month(today) and (left is None or m < left)
    )
    return baseline, reporting


def utility_savings(
    utility: str,
    months: Sequence[MonthUse],
    enrolment: Enrolment | None,
    today: dt.date,
    weather: Weather = NORMAL,
) -> UtilitySavings:
    if utility not in WEATHER:
        return UtilitySavings("not_applicable")
    weather_terms = WEATHER[utility]
    if enrolment is None:
        return UtilitySavings("no_enrolment", weather_terms)
    use = {m.month: m.consumption for m in months}
    baseline, reporting = split_months(list(use), enrolment, today)
    if len(baseline) < MIN_BASELINE_MONTHS:
        return UtilitySavings("too_few_baseline_months", weather_terms, baseline, reporting)
    if not reporting:
        return UtilitySavings("no_reporting_months", weather_terms, baseline, reporting)
    dd = degree_days_of(baseline + reporting, weather)
    model = fit_baseline({m: use[m] for m in baseline}, dd, weather_terms)
    result = normalised_savings(model, {m: use[m] for m in reporting}, dd)
    return UtilitySavings(
        "ok",
        weather_terms,
        baseline,
        reporting,
        model,
        result.expected,
        result.actual,
        result.savings,
        result.savings_pct,
        weather_used(dd.values(), weather) if weather_terms else None,
    )
