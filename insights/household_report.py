"""What a household sees of itself: months per utility, CO2e, savings, similar households.

One function (`report`) serves the JSON route (`/v1/household/months`) and the
portal's page (`/household`). Similar households are the others of its
comparison cell (dong × building type, the cell of the programme
evaluation); their median per month is shown only when at least k of them
(the API's `privacy_k`) have that utility in the window, and a month's median
only when at least k of them have that month, so no median is one
household's figure. Savings take their degree-days from the `Weather` the
caller gives (observed means where stored, else the normal) and say which.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import asdict
from typing import Literal

from pydantic import BaseModel, Field

from insights.degree_days import NORMAL, Weather
from insights.household_months import MonthUse, UtilityMonths, months_of
from insights.household_savings import UtilitySavings, enrolment_of, utility_savings
from stores.figures import UNITS, Amount, Kg, Percent, Ratio
from stores.influx import PrivateStore
from stores.timewin import KST, Every, add_months, floor
from telemetry.emissions import EmissionFactors
from telemetry.fields import Utility
from telemetry.registry.household_registry import HouseholdRegistry
from telemetry.registry.households import Household

DEFAULT_MONTHS = 24
ORDER = [u.value for u in (Utility.ELECTRICITY, Utility.GAS, Utility.HEAT, Utility.WATER)] + [
    Utility.SOLAR.value
]


class MonthFigure(BaseModel):
    month: str = Field(description="KST month, YYYY-MM")
    consumption: Amount
    source: Literal["meter", "interval", "bill"] = Field(
        description="where the figure came from: our meter, imported intervals, a bill"
    )
    apportioned: bool = Field(description="part of it is a billing period shared out by days")
    co2e_kg: Kg
    peer_median: Amount = Field(description="similar households' median that month, if shown")


class BaselineFit(BaseModel):
    base_per_day: Amount
    heating_per_hdd: Amount
    cooling_per_cdd: Amount
    r2: Ratio


class WeatherSource(BaseModel):
    kind: Literal["observed", "normal", "mixed"] = Field(
        description="observed: every day's mean temperature observed; normal: Gwangju's "
        "climate normal throughout (no observations stored); mixed: observed where stored, "
        "the normal for the other days"
    )
    observed_days: int = Field(description="days of the baseline and reporting months observed")
    days: int = Field(description="days of the baseline and reporting months")
    station: int | None = Field(description="the KMA ASOS station observed (None: none was)")


class SavingsFigure(BaseModel):
    status: Literal[
        "ok", "no_enrolment", "too_few_baseline_months", "no_reporting_months", "not_applicable"
    ]
    weather: list[str] = Field(description="degree-day terms the utility may have")
    baseline_months: list[str]
    reporting_months: list[str]
    fit: BaselineFit | None = None
    expected: Amount = Field(None, description="the baseline model's use in the reporting months")
    actual: Amount = None
    savings: Amount = Field(None, description="expected − actual (negative: used more)")
    savings_pct: Percent = None
    co2e_avoided_kg: Kg = None
    weather_source: WeatherSource | None = Field(
        None, description="whose temperatures the degree-days came from (None: no weather term)"
    )


class Peers(BaseModel):
    status: Literal["ok", "too_few"]
    k: int
    households: int | None = Field(description="similar households with data (shown when ok)")


class UtilityReport(BaseModel):
    utility: Utility
    unit: str
    months: list[MonthFigure]
    total: Amount
    co2e_kg: Kg
    savings: SavingsFigure
    peers: Peers


class EnrolmentInfo(BaseModel):
    programme: str
    name_ko: str
    name_en: str
    start: dt.date
    end: dt.date | None
    measures: list[str]


class HouseholdReport(BaseModel):
    household: str
    dong: str
    building_type: str
    size_band: str
    start: str
    end: str = Field(description="exclusive")
    first_month: str = Field(description="the window's first KST month, YYYY-MM")
    last_month: str = Field(description="the window's last KST month, YYYY-MM")
    privacy_k: int
    enrolment: EnrolmentInfo | None
    utilities: list[UtilityReport]


def default_window(h: Household, today: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The last 24 KST months up to this one, and back to a year before the enrolment."""
    end = add_months(floor(dt.datetime.combine(today, dt.time(), KST), Every.MONTH), 1)
    start = add_months(end, -DEFAULT_MONTHS)
    enrolment = enrolment_of(h, today)
    if enrolment is not None:
        joined = dt.datetime.combine(enrolment.start.replace(day=1), dt.time(), KST)
        start = min(start, add_months(joined, -12))
    return start, end


def peers_of(homes: HouseholdRegistry, h: Household) -> list[Household]:
    cell = homes.cell_of(h)
    return [o for o in homes.households.values() if o.id != h.id and homes.cell_of(o) == cell]


def peer_medians(
    peers: list[UtilityMonths], utility: str, k: int
) -> tuple[Peers, dict[dt.date, float]]:
    with_data = [p[utility] for p in peers if p.get(utility)]
    if len(with_data) < k:
        return Peers(status="too_few", k=k, households=None), {}
    per_month: dict[dt.date, list[float]] = {}
    for months in with_data:
        for m in months:
            per_month.setdefault(m.month, []).append(m.consumption)
    medians = {m: statistics.median(v) for m, v in per_month.items() if len(v) >= k}
    return Peers(status="ok", k=k, households=len(with_data)), medians


def _savings(s: UtilitySavings, utility: str, factors: EmissionFactors) -> SavingsFigure:
    fit = (
        BaselineFit(
            base_per_day=s.model.base_per_day,
            heating_per_hdd=s.model.heating_per_hdd,
            cooling_per_cdd=s.model.cooling_per_cdd,
            r2=s.model.r2,
        )
        if s.model
        else None
    )
    return SavingsFigure(
        status=s.status,
        weather=list(s.weather),
        baseline_months=[m.strftime("%Y-%m") for m in s.baseline_months],
        reporting_months=[m.strftime("%Y-%m") for m in s.reporting_months],
        fit=fit,
        expected=s.expected,
        actual=s.actual,
        savings=s.savings,
        savings_pct=s.savings_pct,
        co2e_avoided_kg=factors.kg(utility, s.savings) if s.savings is not None else None,
        weather_source=WeatherSource(**asdict(s.weather_used)) if s.weather_used else None,
    )


def _utility(
    utility: str,
    months: list[MonthUse],
    savings: UtilitySavings,
    peers: tuple[Peers, dict[dt.date, float]],
    factors: EmissionFactors,
) -> UtilityReport:
    total = sum(m.consumption for m in months)
    return UtilityReport(
        utility=Utility(utility),
        unit=UNITS[utility],
        months=[
            MonthFigure(
                month=m.month.strftime("%Y-%m"),
                consumption=m.consumption,
                source=m.source,  # type: ignore[arg-type]
                apportioned=m.apportioned,
                co2e_kg=factors.kg(utility, m.consumption),
                peer_median=peers[1].get(m.month),
            )
            for m in months
        ],
        total=total,
        co2e_kg=factors.kg(utility, total),
        savings=_savings(savings, utility, factors),
        peers=peers[0],
    )


def report(
    store: PrivateStore,
    homes: HouseholdRegistry,
    h: Household,
    factors: EmissionFactors,
    k: int,
    today: dt.date,
    window: tuple[dt.datetime, dt.datetime] | None = None,
    weather: Weather = NORMAL,
) -> HouseholdReport:
    """`weather`: the observed daily means over the window (else the normal throughout)."""
    start, end = window or default_window(h, today)
    peers = peers_of(homes, h)
    found = months_of(store, homes, [h, *peers], start, end)
    own = found[h.id]
    others = [found[p.id] for p in peers]
    enrolment = enrolment_of(h, today)
    utilities = [
        _utility(
            u,
            own[u],
            utility_savings(u, own[u], enrolment, today, weather),
            peer_medians(others, u, k),
            factors,
        )
        for u in ORDER
        if own.get(u)
    ]
    programme = homes.programmes.get(enrolment.programme) if enrolment else None
    return HouseholdReport(
        household=h.id,
        dong=homes.dong_of(h),
        building_type=h.building_type.value,
        size_band=h.size_band.value,
        start=start.isoformat(),
        end=end.isoformat(),
        first_month=start.strftime("%Y-%m"),
        last_month=add_months(end, -1).strftime("%Y-%m"),
        privacy_k=k,
        enrolment=EnrolmentInfo(
            programme=enrolment.programme,
            name_ko=programme.name_ko if programme else enrolment.programme,
            name_en=programme.name_en if programme else enrolment.programme,
            start=enrolment.start,
            end=enrolment.end,
            measures=list(enrolment.measures),
        )
        if enrolment
        else None,
        utilities=utilities,
    )
