"""What routes and pages share from the app's state: the stores, and the domain calls both make
(a post's chart figures, a household's report), so a page never calls a route function."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import Request

from api.links import LinkHousehold
from civic.board.chart import ChartRef, figures
from insights.degree_days import Weather
from insights.household_report import HouseholdReport, default_window, report
from stores.influx import PrivateStore, PublicStore
from stores.timewin import KST
from telemetry.db.weather import daily_means
from telemetry.registry.households import Household


def public_store(request: Request) -> PublicStore:
    return request.app.state.public_store


def private_store(request: Request) -> PrivateStore:
    return request.app.state.private_store


def chart_figures(request: Request, chart: ChartRef) -> dict[str, Any]:
    """A post's chart as the public routes would show it now (the board's API and its form)."""
    return figures(request.app.state.reference, request.app.state.public_store, chart)


def household_report(
    request: Request,
    home: LinkHousehold,
    store: PrivateStore,
    span: tuple[dt.datetime, dt.datetime] | None = None,
) -> HouseholdReport:
    """A household's report (the route and the portal's page), from the app's state, cut to
    the whole months of the household's tenancy, its degree-days from the observed weather
    stored for that window."""
    state = request.app.state
    homes = state.reference.registry.households
    k, today = state.config.privacy_k, dt.datetime.now(KST).date()
    household: Household = home.household  # type: ignore[assignment]  (household_of checked)
    start, end = span or default_window(household, today)
    window = home.clamp(start, end)
    weather = observed_weather(request, window)
    return report(store, homes, household, state.factors, k, today, window, weather)


def observed_weather(request: Request, window: tuple[dt.datetime, dt.datetime]) -> Weather:
    """The configured station's observed daily means over [start, end) (one query), with the
    configured degree-day bases; without a platform database, none (the normal stands in)."""
    state = request.app.state
    config = state.config.weather
    if state.db is None:
        return Weather(bases=config.degree_days)
    start, end = (w.astimezone(KST).date() for w in window)
    with state.db.connect() as conn:
        observed = daily_means(conn, config.station, start, end)
    return Weather(observed, config.station, config.degree_days)
