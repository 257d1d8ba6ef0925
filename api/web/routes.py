"""The portal's pages (HTML): city now, map, district and dong pages, about the data.

Every route reads the public store only (through views → public_data), like
the public API; none of them appears in the OpenAPI document.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse

from api.deps import public_store
from api.params import reference
from api.web import views
from api.web.i18n import pick_lang
from api.web.pages import PAGE_MAX_AGE_S, render
from stores.figures import GroupRef
from stores.influx import PublicStore
from stores.open_data.catalog import DATASETS
from stores.reference import BUILDING_TYPE_LABELS, Reference
from stores.timewin import Every, window
from telemetry.fields import Utility
from telemetry.influx_schema import GROUP_ALL
from telemetry.paths import config_dir

router = APIRouter(include_in_schema=False)
Store = Annotated[PublicStore, Depends(public_store)]
Ref = Annotated[Reference, Depends(reference)]
Lang = Annotated[str | None, Query(max_length=5)]
UtilityQ = Annotated[Utility, Query()]
EveryQ = Annotated[Every, Query()]
GEOJSON = "gwangju_dongs.geojson"


@router.get("/", response_class=HTMLResponse)
def city(request: Request, store: Store, ref: Ref, lang: Lang = None) -> HTMLResponse:
    now = views.city_now(store, ref, request.app.state.factors)
    context = {"now": now, "page": "city", "board_uid": "citizens-city"}
    return render(request, "city.html", pick_lang(lang), context)


@dataclass(frozen=True)
class PeriodQuery:
    """What the map and the building-type page are asked for: language, utility, period."""

    lang: str
    utility: Utility
    period: str | None  # day (today), month (this month), None: the page's default

    def or_default(self, period: str) -> PeriodQuery:
        return PeriodQuery(self.lang, self.utility, self.period or period)

    def context(self) -> dict:
        return {
            "utility": self.utility.value,
            "utilities": [u.value for u in views.ORDER],
            "period": self.period,
            "unit": views.UNITS[self.utility.value],
        }


def period_query(
    lang: Lang = None,
    utility: UtilityQ = Utility.ELECTRICITY,
    period: Annotated[str | None, Query(pattern="^(day|month)$")] = None,
) -> PeriodQuery:
    return PeriodQuery(pick_lang(lang), utility, period)


Period = Annotated[PeriodQuery, Depends(period_query)]


@router.get("/map", response_class=HTMLResponse)
def dong_map(request: Request, store: Store, ref: Ref, q: Period) -> HTMLResponse:
    q = q.or_default("day")
    context = {
        "rows": views.dong_map(store, ref, q.utility, q.period),
        "districts": ref.geo.districts,
        **q.context(),
        "page": "map",
    }
    return render(request, "map.html", q.lang, context)


@dataclass(frozen=True)
class AreaQuery:
    """What a district or dong page is asked for: language, utility, period of each point."""

    lang: str
    utility: Utility
    every: Every


def area_query(
    lang: Lang = None, utility: UtilityQ = Utility.ELECTRICITY, every: EveryQ = Every.DAY
) -> AreaQuery:
    return AreaQuery(pick_lang(lang), utility, every)


Area = Annotated[AreaQuery, Depends(area_query)]


def not_found_page(request: Request, lang: str | None) -> HTMLResponse:
    return render(request, "not_found.html", pick_lang(lang), {"page": ""}, status_code=404)


@router.get("/districts/{district}", response_class=HTMLResponse)
def district_page(request: Request, district: str, store: Store, ref: Ref, q: Area) -> HTMLResponse:
    d = ref.geo.districts.get(district)
    if d is None:
        return not_found_page(request, q.lang)
    group = GroupRef(district=district, dong=GROUP_ALL, building_type=GROUP_ALL)
    context = {
        "area": d.name_ko if q.lang == "ko" else d.name_en,
        "district": d,
        "dongs": ref.geo.dongs_of(district),
        "series": views.area_series(store, ref, group, q.utility, q.every),
        "households": d.households,
        "rank": None,
        "types": views.area_types(store, ref, group, q.utility, q.every),
        "board_uid": f"citizens-{district}",
    }
    return _area(request, q, context)


@router.get("/dongs/{dong}", response_class=HTMLResponse)
def dong_page(request: Request, dong: str, store: Store, ref: Ref, q: Area) -> HTMLResponse:
    found = ref.geo.dongs.get(dong)
    if found is None:
        return not_found_page(request, q.lang)
    group = GroupRef(district=found.district, dong=dong, building_type=GROUP_ALL)
    series = views.area_series(store, ref, group, q.utility, q.every)
    households = max((p.households or 0 for p in series.now.points), default=0) or None
    context = {
        "area": found.name_ko,
        "district": ref.geo.districts[found.district],
        "dong": found,
        "dongs": [],
        "series": series,
        "households": households,
        "rank": views.rank_of(store, q.utility, window(None, None, q.every), dong),
        "types": views.area_types(store, ref, group, q.utility, q.every),
        "board_uid": f"citizens-{found.district}",
    }
    return _area(request, q, context)


def _area(request: Request, q: AreaQuery, context: dict) -> HTMLResponse:
    series = context["series"].now
    context |= {
        "utility": q.utility.value,
        "utilities": [u.value for u in views.ORDER],
        "every": q.every.value,
        "everies": [e.value for e in Every],
        "line_key": views.plain_line_key(series.previous_period.change_pct),
        "reason_key": views.reason_key,
        "labels": BUILDING_TYPE_LABELS,
        "page": "area",
    }
    return render(request, "area.html", q.lang, context)


@router.get("/building-types", response_class=HTMLResponse)
def building_types(request: Request, store: Store, ref: Ref, q: Period) -> HTMLResponse:
    q = q.or_default("month")
    context = {
        "rows": views.building_types(store, ref, q.utility, q.period),
        "labels": BUILDING_TYPE_LABELS,
        **q.context(),
        "page": "types",
    }
    return render(request, "building_types.html", q.lang, context)


@router.get("/about", response_class=HTMLResponse)
def about(request: Request, ref: Ref, lang: Lang = None) -> HTMLResponse:
    registry = ref.registry
    sites = list(registry.sites.values()) if registry else []
    kinds = Counter(s.building_type.value for s in sites)
    meters = Counter()
    for s in sites:
        meters[s.building_type.value] += sum(len(a.meters) for a in s.agents)
    context = {
        "kinds": [
            (BUILDING_TYPE_LABELS.get(k, (k, k)), kinds[k], meters[k]) for k in sorted(kinds)
        ],
        "factors": request.app.state.factors.factors,
        "page": "about",
        "rules": request.app.state.config.disclosure,
        "open_datasets": DATASETS,
    }
    return render(request, "about.html", pick_lang(lang), context)


@router.get("/geo/dongs.geojson")
def dong_boundaries() -> FileResponse:
    """The 96 dongs' boundaries (with their attribution member), for the map."""
    return FileResponse(
        config_dir() / "geo" / GEOJSON,
        media_type="application/geo+json",
        headers={"Cache-Control": f"public, max-age={PAGE_MAX_AGE_S * 60}"},
    )
