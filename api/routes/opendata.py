"""Open data: the public aggregates as CSV and JSON, with codes, ISO dates, units and licence."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from api.deps import public_store
from api.params import EndQ, EveryQ, StartQ, reference
from api.problems import PROBLEM_RESPONSES
from stores import public_totals
from stores.figures import UNITS, OpenDataIndex
from stores.influx import PublicStore
from stores.public_data import revision_times
from stores.reference import Reference
from stores.timewin import Every, advance, from_ms, window
from telemetry.fields import Utility
from telemetry.rounding import round_figure

router = APIRouter(prefix="/v1/open-data", tags=["open data"], responses=PROBLEM_RESPONSES)

COLUMNS = [
    "period_start",
    "period_end",
    "every",
    "level",
    "district_code",
    "district_name_ko",
    "dong_code",
    "dong_name_ko",
    "building_type",
    "utility",
    "consumption_kwh",
    "consumption_m3",
    "co2e_kg",
    "households",
    "sites",
    "status",
    "withheld_reason",
    "revised",
    "revision_withheld",
]
# Why a group of the file has no figures (`status` = withheld): the disclosure rule.
WITHHELD_REASONS = {"dominated": "one_site_dominates", "complementary": "protects_another_cell"}


class Level(StrEnum):
    CITY = "city"
    DISTRICT = "district"
    DONG = "dong"
    BUILDING_TYPE = "building_type"


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
                "description": "consumption and CO2e per period and group; columns: "
                + ", ".join(COLUMNS),
            },
        ],
    )


def _rows(
    store: PublicStore,
    ref: Reference,
    level: Level,
    utility: Utility | None,
    start: str | None,
    end: str | None,
    every: Every,
) -> list[dict[str, Any]]:
    w = window(start, end, every)
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
            | dict.fromkeys(("consumption_kwh", "consumption_m3", "co2e_kg", "households", "sites"))
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


def _selection(
    store: Annotated[PublicStore, Depends(public_store)],
    ref: Annotated[Reference, Depends(reference)],
    level: LevelQ = Level.DISTRICT,
    utility: OptUtilityQ = None,
    start: StartQ = None,
    end: EndQ = None,
    every: EveryQ = Every.DAY,
) -> Selection:
    return Selection(level, every, _rows(store, ref, level, utility, start, end, every))


Selected = Annotated[Selection, Depends(_selection)]


@router.get("/consumption.json", summary="Consumption as JSON", description=_DOC)
def consumption_json(request: Request, selected: Selected) -> JSONResponse:
    body = {"licence": _licence(request), "columns": COLUMNS, "rows": selected.rows}
    return JSONResponse(body, headers=_headers(request))


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
    headers = _headers(request)
    headers["Content-Disposition"] = (
        f'attachment; filename="gwangju-energy-{selected.level.value}-{selected.every.value}.csv"'
    )
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


def _headers(request: Request) -> dict[str, str]:
    licence = _licence(request)
    return {
        "Cache-Control": f"public, max-age={request.app.state.config.cache.series_s}",
        "Link": f'<{licence["url"]}>; rel="license"',
    }
