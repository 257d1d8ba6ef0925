"""The household's own page (`/household?token=…`): its months, savings, CO2e and peers.

The only portal page that reads the private store, and only for the household
its signed token names (version 1 or 2, api/auth.py), through the same report
as `/v1/household/months`. The token arrives in the link the city hands out;
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

from api.auth import household_by_token
from api.deps import household_report, private_store
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
    found = (
        household_by_token(state.reference.registry, token, state.secrets.signing_key)
        if token
        else None
    )
    context: dict = {
        "page": "household",
        "report": None,
        "sources": SOURCE_KEYS,
        "min_months": MIN_BASELINE_MONTHS,
        "this_month": dt.datetime.now(KST).strftime("%Y-%m"),
    }
    if found is not None:
        geo = state.reference.geo
        dong = geo.dongs.get(state.reference.registry.households.dong_of(found))
        context |= {
            "report": household_report(request, found, private_store(request)),
            "dong_name": dong.name_ko if dong else "",
            "btype": BUILDING_TYPE_LABELS.get(found.building_type.value, ("", "")),
        }
    response = render(
        request,
        "household.html",
        pick_lang(lang),
        context,
        status_code=200 if found is not None else 401,
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response
