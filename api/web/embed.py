"""Widgets for other sites' pages (/embed/...): small, no cookies, framable by configured origins."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse

from api.deps import public_store
from api.params import reference
from api.web import views
from api.web.i18n import pick_lang
from api.web.pages import render
from api.web.routes import Lang, not_found_page
from stores.figures import GroupRef
from stores.influx import PublicStore
from stores.reference import Reference
from stores.timewin import Every
from telemetry.fields import Utility
from telemetry.influx_schema import GROUP_ALL

router = APIRouter(prefix="/embed", include_in_schema=False)
Store = Annotated[PublicStore, Depends(public_store)]
Ref = Annotated[Reference, Depends(reference)]
ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?$")


def check_frame_ancestors(origins: list[str]) -> str:
    """The CSP frame-ancestors source list; a value that is not a plain origin is refused."""
    for i, origin in enumerate(origins):
        if not ORIGIN.match(origin):
            raise ValueError(
                f"config/api.yaml: embed_frame_ancestors[{i}] = {origin!r} is not an origin "
                "like https://www.gwangju.go.kr"
            )
    return " ".join(origins) or "'none'"


def install(app: FastAPI) -> None:
    app.state.embed_frame_ancestors = check_frame_ancestors(app.state.config.embed_frame_ancestors)
    app.include_router(router)


def _widget(request: Request, lang: str | None, name: str, context: dict) -> HTMLResponse:
    return render(
        request,
        name,
        pick_lang(lang),
        {"page": "embed", **context},
        frame_ancestors=request.app.state.embed_frame_ancestors,
    )


@router.get("/city", response_class=HTMLResponse)
def city(request: Request, store: Store, ref: Ref, lang: Lang = None) -> HTMLResponse:
    now = views.city_now(store, ref, request.app.state.factors)
    return _widget(request, lang, "embed_city.html", {"now": now})


def _area(
    request: Request,
    store: Store,
    ref: Ref,
    lang: str | None,
    group: GroupRef,
    area: str,
    href: str,
) -> HTMLResponse:
    series = views.area_series(store, ref, group, Utility.ELECTRICITY, Every.DAY)
    change = series.now.previous_period.change_pct
    context = {
        "area": area,
        "series": series,
        "utility": Utility.ELECTRICITY.value,
        "line_key": views.plain_line_key(change),
        "reason_key": views.reason_key,
        "href": href,
    }
    return _widget(request, lang, "embed_area.html", context)


@router.get("/dongs/{dong}", response_class=HTMLResponse)
def dong(request: Request, dong: str, store: Store, ref: Ref, lang: Lang = None) -> HTMLResponse:
    found = ref.geo.dongs.get(dong)
    if found is None:
        return not_found_page(request, lang)
    group = GroupRef(district=found.district, dong=dong, building_type=GROUP_ALL)
    return _area(request, store, ref, lang, group, found.name_ko, f"/dongs/{dong}")


@router.get("/districts/{district}", response_class=HTMLResponse)
def district(
    request: Request, district: str, store: Store, ref: Ref, lang: Lang = None
) -> HTMLResponse:
    d = ref.geo.districts.get(district)
    if d is None:
        return not_found_page(request, lang)
    group = GroupRef(district=district, dong=GROUP_ALL, building_type=GROUP_ALL)
    name = d.name_ko if pick_lang(lang) == "ko" else d.name_en
    return _area(request, store, ref, lang, group, name, f"/districts/{district}")
