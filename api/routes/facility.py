"""Facility managers (bearer token per site, or a staff account with the facility_manager role
and its sites): their sites, meters, last values, series."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, Field

from api.auth import require_site
from api.deps import private_store
from api.params import EndQ, StartQ, UtilityQ, private_no_store, reference, say_window
from api.problems import AUTH_RESPONSES, PROBLEM_RESPONSES, bad_request, not_found
from api.staff_auth import facility_sites
from stores import facility_live, private_data
from stores.figures import UNITS
from stores.influx import PrivateStore
from stores.reference import Reference
from stores.timewin import Every, span, window
from telemetry.fields import FIELDS, FieldKind, Utility

router = APIRouter(
    dependencies=[Depends(private_no_store)],
    prefix="/v1/facility",
    tags=["facility managers"],
    responses={**PROBLEM_RESPONSES, **AUTH_RESPONSES},
)
Sites = Annotated[set[str], Depends(facility_sites)]
Store = Annotated[PrivateStore, Depends(private_store)]
Ref = Annotated[Reference, Depends(reference)]
SiteP = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$", description="site id")]
MeterP = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$", description="meter id")]


class SiteInfo(BaseModel):
    id: str = Field(examples=["hanam-ic"])
    name_ko: str
    name_en: str
    kind: str
    district: str
    dong: str
    building_type: str
    agents: list[str]


class MeterState(BaseModel):
    meter: str = Field(examples=["b1-elec"])
    utility: Utility
    status: Literal["ok", "stale", "bad", "uncertain", "no_data"] = Field(
        description="ok: a good reading within 3 poll intervals; stale: none since; bad/"
        "uncertain: the last reading's quality; no_data: registered, never reported"
    )
    last_seen: str | None = Field(default=None, description="time of the last reading (KST)")
    age_s: float | None = None
    values: dict[str, float] = Field(default_factory=dict, description="last canonical values")


class MeterSeriesPoint(BaseModel):
    time: str
    value: float | None


class MeterSeries(BaseModel):
    site: str
    meter: str
    utility: Utility
    field: str
    unit: str
    aggregate: Literal["mean", "last"]
    every: str
    points: list[MeterSeriesPoint]


class ConsumptionPoint(BaseModel):
    start: str
    consumption: float
    resets: int = Field(description="counter resets or meter replacements seen in the period")


class MeterConsumption(BaseModel):
    site: str
    meter: str
    utility: Utility
    unit: str
    every: str
    points: list[ConsumptionPoint]


def _site(ref: Reference, site: str, sites: set[str]) -> None:
    require_site(site, sites)
    if ref.registry is None or site not in ref.registry.sites:
        raise not_found(f"unknown site {site!r}")


@router.get("/sites", response_model=list[SiteInfo], summary="Sites this token opens")
def list_sites(sites: Sites, ref: Ref) -> list[SiteInfo]:
    registry = ref.registry
    out = []
    for site_id in sorted(sites):
        if registry is None or site_id not in registry.sites:
            continue
        s = registry.sites[site_id]
        out.append(
            SiteInfo(
                id=s.id,
                name_ko=s.name_ko,
                name_en=s.name_en,
                kind=s.kind.value,
                district=s.district,
                dong=s.dong,
                building_type=s.building_type.value,
                agents=[a.id for a in s.agents],
            )
        )
    return out


@router.get(
    "/sites/{site}/meters",
    response_model=list[MeterState],
    summary="Meters of a site with their last values and status",
)
def site_meters(site: SiteP, sites: Sites, store: Store, ref: Ref) -> list[MeterState]:
    _site(ref, site, sites)
    assert ref.registry is not None  # _site() refused the request otherwise
    # The same states as the facility page's (stores/facility_live.py, the boards' queries).
    return [
        MeterState(
            meter=m.meter,
            utility=Utility(m.utility),
            status=m.status,
            last_seen=private_data.iso(m.last_ms) if m.last_ms is not None else None,
            age_s=round(m.age_s, 1) if m.age_s is not None else None,
            values=m.values,
        )
        for m in facility_live.meter_states(store, ref.registry, site)
    ]


_EVERY = {
    "1m": dt.timedelta(days=2),
    "15m": dt.timedelta(days=31),
    "1h": dt.timedelta(days=92),
    "1d": dt.timedelta(days=732),
}


@router.get(
    "/sites/{site}/meters/{meter}/series",
    response_model=MeterSeries,
    summary="One field of one meter over time",
    description="Gauges are averaged per `every`; counters give their last value.",
)
def meter_series(
    response: Response,
    site: SiteP,
    meter: MeterP,
    sites: Sites,
    store: Store,
    ref: Ref,
    utility: UtilityQ = Utility.ELECTRICITY,
    field: Annotated[
        str | None, Query(max_length=40, description="canonical field (default: the rate field)")
    ] = None,
    start: StartQ = None,
    end: EndQ = None,
    every: Annotated[Literal["1m", "15m", "1h", "1d"], Query(description="bucket size")] = "15m",
) -> MeterSeries:
    _site(ref, site, sites)
    specs = FIELDS[utility]
    name = field or ("power_kw" if "power_kw" in specs else "flow_m3h")
    if name not in specs:
        raise bad_request(
            f"field {name!r} is not a {utility.value} field; known: {', '.join(sorted(specs))}",
            "field",
        )
    s = span(start, end, _EVERY[every], dt.timedelta(days=1))
    say_window(response, s)
    t_start, t_end = s.start, s.end
    agg = "last" if specs[name].kind is FieldKind.COUNTER else "mean"
    values = private_data.meter_values(
        store,
        site,
        meter,
        utility.value,
        name,
        agg,
        int(t_start.timestamp() * 1000),
        int(t_end.timestamp() * 1000),
        every,
    )
    return MeterSeries(
        site=site,
        meter=meter,
        utility=utility,
        field=name,
        unit=specs[name].unit,
        aggregate=agg,
        every=every,
        points=[MeterSeriesPoint(time=private_data.iso(t), value=v) for t, v in values],
    )


@router.get(
    "/sites/{site}/meters/{meter}/consumption",
    response_model=MeterConsumption,
    summary="Consumption of one meter per hour, day or month (from counter differences)",
)
def meter_consumption(
    response: Response,
    site: SiteP,
    meter: MeterP,
    sites: Sites,
    store: Store,
    ref: Ref,
    utility: UtilityQ = Utility.ELECTRICITY,
    start: StartQ = None,
    end: EndQ = None,
    every: Annotated[Every, Query(description="hour, day or month")] = Every.DAY,
) -> MeterConsumption:
    _site(ref, site, sites)
    w = window(start, end, every)
    say_window(response, w)
    per = private_data.site_consumption(store, site, utility.value, w, meter=meter)
    return MeterConsumption(
        site=site,
        meter=meter,
        utility=utility,
        unit=UNITS[utility.value],
        every=w.every.value,
        points=[
            ConsumptionPoint(start=private_data.iso(t), consumption=c, resets=r)
            for t, (c, r) in sorted(per.items())
        ],
    )
