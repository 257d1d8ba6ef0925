"""The household's own page (`/household?token=…`): its months, savings, CO2e and peers.

The only portal page that reads the private store, and only for the household
its link names (version 3, api/links.py), through the same report as
`/v1/household/months`, cut to the household's tenancy. A refused link (expired,
revoked, moved out, retired version) shows why. The token arrives in the link the city hands out;
so that it leaves no trace elsewhere the page is `private, no-store`, sends no
Referer (`Referrer-Policy: no-referrer`, also for its scripts and styles), is
not indexed, and no link on it carries the token but the language switch of
this same page.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from api.deps import household_report, private_store
from api.links import LinkRefused, open_link
from api.web.i18n import pick_lang
from api.web.pages import render
from api.web.routes import Lang
from insights.degree_days import MIN_BASELINE_MONTHS
from stores.reference import BUILDING_TYPE_LABELS
from stores.timewin import KST

router = APIRouter(include_in_schema=False)
SOURCE_KEYS = {"meter": "hh_src_meter", "interval": "hh_src_interval", "bill": "hh_src_bill"}


@router.get("/household", response_class=HTMLResponse)
def household_page(
    request: Request,
    lang: Lang = None,
    token: Annotated[str | None, Query(max_length=300)] = None,
) -> HTMLResponse:
    state = request.app.state
    found, refused, status = None, None, 401
    if token:
        try:
            home = open_link(request, token)
        except LinkRefused as exc:
            refused = {"kind": exc.kind, "day": exc.day.isoformat() if exc.day else ""}
        else:
            found = home.household
            if found is None:
                refused = {"kind": "no_data", "day": ""}
                status = 404
    context: dict = {
        "refused": refused,
        "page": "household",
        "report": None,
        "sources": SOURCE_KEYS,
        "min_months": MIN_BASELINE_MONTHS,
        "bases": state.config.weather.degree_days,
        "this_month": dt.datetime.now(KST).strftime("%Y-%m"),
    }
    if found is not None:
        geo = state.reference.geo
        dong = geo.dongs.get(state.reference.registry.households.dong_of(found))
        context |= {
            "report": household_report(request, home, private_store(request)),
            "dong_name": dong.name_ko if dong else "",
            "btype": BUILDING_TYPE_LABELS.get(found.building_type.value, ("", "")),
        }
    response = render(
        request,
        "household.html",
        pick_lang(lang),
        context,
        status_code=200 if found is not None else status,
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response
