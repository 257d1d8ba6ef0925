"""Households: their own use, savings against their own baseline, CO2e avoided."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from api.auth import household_of, household_site
from api.deps import household_report, private_store
from api.links import LinkHousehold
from api.params import EndQ, EveryQ, StartQ, UtilityQ, private_no_store, say_window
from api.problems import AUTH_RESPONSES, PROBLEM_RESPONSES
from insights.household_report import HouseholdReport
from stores import private_data
from stores.figures import UNITS
from stores.influx import PrivateStore
from stores.timewin import Every, Window, ms, window
from telemetry.fields import Utility

router = APIRouter(
    dependencies=[Depends(private_no_store)],
    prefix="/v1/household",
    tags=["households"],
    responses={**PROBLEM_RESPONSES, **AUTH_RESPONSES},
)
# Every route reads only within the household's tenancy (LinkHousehold.clamp).
Site = Annotated[LinkHousehold, Depends(household_site)]
Store = Annotated[PrivateStore, Depends(private_store)]
Home = Annotated[LinkHousehold, Depends(household_of)]


class UsagePoint(BaseModel):
    start: str
    end: str
    consumption: float | None
    co2e_kg: float | None


class Usage(BaseModel):
    utility: Utility
    unit: str
    every: str
    points: list[UsagePoint]
    total: float
    co2e_kg: float


class Savings(BaseModel):
    utility: Utility
    unit: str
    start: str
    end: str
    consumption: float
    baseline: str = Field(
        description="`previous_year` (same period last year) or "
        "`before_programme` (the same length just before joining)"
    )
    baseline_start: str
    baseline_end: str
    baseline_consumption: float | None
    savings: float | None = Field(description="baseline - consumption (negative: used more)")
    savings_pct: float | None
    co2e_avoided_kg: float | None


def _factor(request: Request, utility: str, amount: float) -> float:
    return request.app.state.factors.kg(utility, amount)


@router.get("/usage", response_model=Usage, summary="The household's own use")
def usage(
    request: Request,
    response: Response,
    home: Site,
    store: Store,
    utility: UtilityQ = Utility.ELECTRICITY,
    start: StartQ = None,
    end: EndQ = None,
    every: EveryQ = Every.DAY,
) -> Usage:
    w = _bounded(home, window(start, end, every))
    say_window(response, w)
    site = _site(home)
    per = private_data.site_consumption(store, site, utility.value, w) if w.periods() else {}
    points = []
    for a, b in w.periods():
        c = per.get(ms(a))
        value = c[0] if c else None
        points.append(
            UsagePoint(
                start=a.isoformat(),
                end=b.isoformat(),
                consumption=value,
                co2e_kg=_factor(request, utility.value, value) if c else None,
            )
        )
    total = sum(c for c, _ in per.values())
    return Usage(
        utility=utility,
        unit=UNITS[utility.value],
        every=w.every.value,
        points=points,
        total=total,
        co2e_kg=_factor(request, utility.value, total),
    )


@router.get(
    "/savings",
    response_model=Savings,
    summary="Savings against the household's own baseline",
    description="Baseline: the period of equal length just before the household joined its "
    "programme (the start of its enrolment in the registry that is open on the window's first "
    "day) when there is one, else the same period a year before. "
    "CO2e avoided = savings × emission factor.",
)
def savings(
    request: Request,
    response: Response,
    home: Site,
    store: Store,
    utility: UtilityQ = Utility.ELECTRICITY,
    start: StartQ = None,
    end: EndQ = None,
) -> Savings:
    w = _bounded(home, window(start, end, Every.DAY, coarsen=False))
    say_window(response, w)
    site = _site(home)
    base, kind = _baseline(request, site, w)
    now_rows = private_data.site_consumption(store, site, utility.value, w) if w.periods() else {}
    now = sum(c for c, _ in now_rows.values())
    # A baseline from before the tenancy is another household's: not read.
    within = _bounded(home, base) == base
    then_rows = private_data.site_consumption(store, site, utility.value, base) if within else {}
    then = sum(c for c, _ in then_rows.values()) if then_rows else None
    saved = then - now if then is not None else None
    return Savings(
        utility=utility,
        unit=UNITS[utility.value],
        start=w.start.isoformat(),
        end=w.end.isoformat(),
        consumption=now,
        baseline=kind,
        baseline_start=base.start.isoformat(),
        baseline_end=base.end.isoformat(),
        baseline_consumption=then,
        savings=saved,
        savings_pct=saved / then * 100 if saved is not None and then else None,
        co2e_avoided_kg=_factor(request, utility.value, saved) if saved is not None else None,
    )


@router.get(
    "/months",
    response_model=HouseholdReport,
    summary="The household's months, savings, CO2e and similar households",
    description="Use per utility and KST month from its meters and imports (metered > "
    "interval > bill; apportioned bills marked), CO2e, weather-normalised savings against "
    "its own months before enrolment (degree-days from the observed daily temperatures where "
    "imported, else the climate normal; `weather_source` says which), and the median of similar households (same dong and "
    "building type) when at least k of them have data. Default window: the last 24 months "
    "and a year before the enrolment, cut to the household's tenancy (its whole months). "
    "Any household link (version 3).",
)
def months(
    request: Request,
    response: Response,
    home: Home,
    store: Store,
    start: StartQ = None,
    end: EndQ = None,
) -> HouseholdReport:
    span = None
    if start or end:
        w = window(start, end, Every.MONTH)
        say_window(response, w)
        span = (w.start, w.end)
    return household_report(request, home, store, span)


def _site(home: LinkHousehold) -> str:
    return home.household.site  # type: ignore[union-attr,return-value]  (household_site checked)


def _bounded(home: LinkHousehold, w: Window) -> Window:
    start, end = home.clamp(w.start, w.end)
    return Window(start, end, w.every, w.adjusted)


def _baseline(request: Request, site: str, w: Window) -> tuple[Window, str]:
    joined = _joined(request, site, w.start.date())
    if joined is not None:
        start = w.start.replace(year=joined.year, month=joined.month, day=joined.day)
        return Window(start - (w.end - w.start), start, Every.DAY), "before_programme"
    return w.previous_year(), "previous_year"


def _joined(request: Request, site: str, day: dt.date) -> dt.date | None:
    """When the household of this site joined the programme it is in on `day`."""
    registry = request.app.state.reference.registry
    home = registry.households.of_site(site) if registry else None
    enrolment = registry.households.enrolment_on(home, day) if home else None
    return enrolment.start if enrolment else None
