"""Open data: the public aggregates as CSV and JSON, with codes, ISO dates, units and licence."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from api.deps import public_store
from api.params import WINDOW_HEADER, EndQ, EveryQ, StartQ, reference
from api.problems import PROBLEM_RESPONSES
from stores import public_totals
from stores.figures import UNITS, OpenDataIndex
from stores.influx import PublicStore
from stores.open_data.catalog import (
    Catalogue,
    data_package,
    dataset_for,
    dcat_catalog,
    package_url,
    portal_sheet,
)
from stores.open_data.columns import COLUMNS, WITHHELD_REASONS, Level
from stores.public_data import revision_times
from stores.reference import Reference
from stores.timewin import KST, Every, Window, advance, from_ms, window
from telemetry import clock
from telemetry.fields import Utility
from telemetry.influx_schema import FIELD_SIMULATED_SITES
from telemetry.rounding import round_figure

router = APIRouter(prefix="/v1/open-data", tags=["open data"], responses=PROBLEM_RESPONSES)

LevelQ = Annotated[Level, Query(description="which groups: city, district, dong or building_type")]
OptUtilityQ = Annotated[Utility | None, Query(description="one utility (default: all)")]


def _licence(request: Request) -> dict[str, str]:
    return request.app.state.config.licence.model_dump()


@router.get("", response_model=OpenDataIndex, summary="Open-data index and licence")
def index(request: Request) -> OpenDataIndex:
    return OpenDataIndex(
        licence=_licence(request),
        datasets=[
            {
                "name": "consumption",
                "csv": "/v1/open-data/consumption.csv",
                "json": "/v1/open-data/consumption.json",
                "datapackage": "/v1/open-data/consumption/datapackage.json",
                "description": "consumption and CO2e per period and group; columns: "
                + ", ".join(COLUMNS),
            },
            {
                "name": "catalog",
                "json-ld": "/v1/open-data/catalog",
                "csv": "/v1/open-data/catalog.csv",
                "description": "the datasets as a DCAT-AP catalogue (JSON-LD) and as the "
                "metadata sheet 공공데이터포털 asks for (CSV, UTF-8 with BOM)",
            },
        ],
    )


def _rows(
    store: PublicStore, ref: Reference, level: Level, utility: Utility | None, w: Window
) -> list[dict[str, Any]]:
    every = w.every  # coarser than asked when the window was too long for it
    out = []
    wanted = utility.value if utility else None
    shown = public_totals.group_totals(store, wanted, level.value, w)
    for r in shown:
        unit = UNITS.get(r["utility"], "")
        out.append(
            _group_columns(ref, level, every, r)
            | {
                "consumption_kwh": round_figure(r["consumption"], unit) if unit == "kWh" else None,
                "consumption_m3": round_figure(r["consumption"], unit) if unit == "m3" else None,
                "co2e_kg": round_figure(r["co2e_kg"], "kg"),
                "households": r["households"],
                "sites": r["sites"],
                "simulated_sites": r.get(FIELD_SIMULATED_SITES),
                "status": "ok",
                "withheld_reason": "",
            }
            | {k: v or "" for k, v in revision_times(r).items()}
        )
    # Groups withheld with enough holders (a dominant site, or to protect another cell)
    # are listed without figures, with the rule; a period the window also shows a
    # figure for (a month of partly withheld days) keeps its figure.
    have = {(r["utility"], r["district"], r["dong"], r["building_type"], r["time"]) for r in shown}
    for r in public_totals.withheld_groups(store, wanted, level.value, w):
        if (r["utility"], r["district"], r["dong"], r["building_type"], r["time"]) in have:
            continue
        out.append(
            _group_columns(ref, level, every, r)
            | dict.fromkeys(
                (
                    "consumption_kwh",
                    "consumption_m3",
                    "co2e_kg",
                    "households",
                    "sites",
                    "simulated_sites",
                )
            )
            | {"status": "withheld", "withheld_reason": WITHHELD_REASONS.get(r["reason"], "")}
            | {"revised": "", "revision_withheld": ""}
        )
    out.sort(
        key=lambda x: (
            x["period_start"],
            x["utility"],
            x["district_code"],
            x["dong_code"],
            x["building_type"],
        )
    )
    return out


def _group_columns(ref: Reference, level: Level, every: Every, r: dict[str, Any]) -> dict[str, Any]:
    t = from_ms(r["time"])
    district, dong = r["district"], r["dong"]
    return {
        "period_start": _iso(t, every),
        "period_end": _iso(advance(t, every), every),
        "every": every.value,
        "level": level.value,
        "district_code": "" if district == "all" else district,
        "district_name_ko": ref.geo.districts[district].name_ko
        if district in ref.geo.districts
        else "",
        "dong_code": "" if dong == "all" else dong,
        "dong_name_ko": ref.geo.dongs[dong].name_ko if dong in ref.geo.dongs else "",
        "building_type": "" if r["building_type"] == "all" else r["building_type"],
        "utility": r["utility"],
    }


def _iso(t: dt.datetime, every: Every) -> str:
    return t.isoformat() if every is Every.HOUR else t.date().isoformat()


_DOC = (
    "Published aggregates per period: administrative codes, ISO 8601 dates (days and months "
    "in KST), units in column names. Groups below the privacy threshold are not listed; "
    "groups withheld although they have enough households or sites are listed with "
    "`status` = withheld, no figures and `withheld_reason`: `one_site_dominates` (one "
    "site's use would show through) or `protects_another_cell` (withheld so that another "
    "withheld group cannot be worked out). `revised`: when a figure was revised after its "
    "period ended (history imported late, late readings), ISO 8601; `revision_withheld`: "
    "when a revision was withheld by the same rules (the figure is the one published "
    "before). Licence: see /v1/open-data and the `Link` header."
)


@dataclass(frozen=True)
class Selection:
    """The rows a request selects, with the level and period size that name its file."""

    level: Level
    every: Every
    rows: list[dict[str, Any]]
    adjusted: tuple[str, ...] = ()  # how the window was adjusted to be answered


def _selection(
    store: Annotated[PublicStore, Depends(public_store)],
    ref: Annotated[Reference, Depends(reference)],
    level: LevelQ = Level.DISTRICT,
    utility: OptUtilityQ = None,
    start: StartQ = None,
    end: EndQ = None,
    every: EveryQ = Every.DAY,
) -> Selection:
    w = window(start, end, every)
    return Selection(level, w.every, _rows(store, ref, level, utility, w), w.adjusted)


Selected = Annotated[Selection, Depends(_selection)]


@router.get("/consumption.json", summary="Consumption as JSON", description=_DOC)
def consumption_json(request: Request, selected: Selected) -> JSONResponse:
    body = {"licence": _licence(request), "columns": COLUMNS, "rows": selected.rows}
    return JSONResponse(body, headers=_headers(request, selected))


@router.get(
    "/consumption.csv",
    summary="Consumption as CSV",
    description=_DOC,
    responses={200: {"content": {"text/csv": {}}}},
    response_class=Response,
)
def consumption_csv(request: Request, selected: Selected) -> Response:
    licence = _licence(request)
    buffer = io.StringIO()
    buffer.write(
        f"# Licence: {licence['name']} ({licence['url']}); source: {licence['attribution']}\n"
    )
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(selected.rows)
    headers = _headers(request, selected)
    # Its Data Package: columns, types, units, licence and the privacy rule.
    package = package_url(_base_url(request), dataset_for(selected.level), selected.every)
    headers["Link"] += f', <{package}>; rel="describedby"; type="application/json"'
    headers["Content-Disposition"] = (
        f'attachment; filename="gwangju-energy-{selected.level.value}-{selected.every.value}.csv"'
    )
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


def _headers(request: Request, selected: Selection | None = None) -> dict[str, str]:
    licence = _licence(request)
    headers = {
        "Cache-Control": f"public, max-age={request.app.state.config.cache.series_s}",
        "Link": f'<{licence["url"]}>; rel="license"',
    }
    if selected is not None and selected.adjusted:
        headers[WINDOW_HEADER] = "; ".join(selected.adjusted)
    return headers


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _catalogue(request: Request) -> Catalogue:
    config = request.app.state.config
    today = dt.datetime.fromtimestamp(clock.now(), KST).date()
    return Catalogue(
        _base_url(request), config.licence.url, config.privacy_k, config.open_data, today
    )


@router.get(
    "/catalog",
    summary="Dataset catalogue (DCAT-AP JSON-LD)",
    description="Every open-data dataset with its distributions (CSV, JSON), licence (KOGL "
    "Type 1), publisher, update frequency, spatial and temporal coverage and the privacy rule "
    "with its threshold k, as DCAT-AP 3 JSON-LD (context inline).",
    responses={200: {"content": {"application/ld+json": {}}}},
    response_class=JSONResponse,
)
def catalog(request: Request) -> JSONResponse:
    body = dcat_catalog(_catalogue(request))
    return JSONResponse(body, media_type="application/ld+json", headers=_headers(request))


@router.get(
    "/catalog.csv",
    summary="Metadata sheet for 공공데이터포털 (CSV, UTF-8 with BOM)",
    description="One row per dataset with the items 공공데이터포털 (data.go.kr) asks for to "
    "register a file dataset: 목록명, 설명, 분류체계, 제공기관, 관리부서, 키워드, 업데이트 주기, "
    "제공형태, 확장자, 이용허락범위 (공공누리 제1유형), 등록일, 수정일 and more.",
    responses={200: {"content": {"text/csv": {}}}},
    response_class=Response,
)
def catalog_sheet(request: Request) -> Response:
    body = portal_sheet(_catalogue(request))
    headers = _headers(request)
    headers["Content-Disposition"] = 'attachment; filename="gwangju-energy-catalog.csv"'
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)


@router.get(
    "/consumption/datapackage.json",
    summary="Data Package (Frictionless) of a consumption CSV",
    description="The Frictionless Data Package of `consumption.csv` with the same `level` and "
    "`every`: every column with its type, unit and constraints, the licence, the update "
    "frequency and the privacy rule with its threshold k and the withheld rows' columns.",
)
def consumption_package(
    request: Request, level: LevelQ = Level.DISTRICT, every: EveryQ = Every.DAY
) -> dict[str, Any]:
    config = request.app.state.config
    return data_package(
        _base_url(request),
        dataset_for(level),
        every,
        config.licence.name,
        config.licence.url,
        config.licence.attribution,
        config.privacy_k,
    )
