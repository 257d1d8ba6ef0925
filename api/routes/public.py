"""Public city-wide views: they read the public bucket only (PublicStore)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from api.deps import public_store
from api.params import (
    BuildingTypeP,
    BuildingTypeQ,
    DistrictP,
    DongP,
    EndQ,
    EveryQ,
    StartQ,
    UtilityQ,
    cache_for,
    reference,
    say_window,
)
from api.problems import PROBLEM_RESPONSES, not_found
from stores import public_data, public_totals
from stores.figures import (
    UNITS,
    BuildingTypeInfo,
    CityLive,
    District,
    Dong,
    GroupRef,
    RankedDong,
    Ranking,
    Series,
)
from stores.influx import PublicStore
from stores.reference import BUILDING_TYPE_LABELS, Reference
from stores.timewin import Every, Window, window
from telemetry.fields import Utility
from telemetry.influx_schema import FIELD_SIMULATED_SITES, GROUP_ALL
from telemetry.registry import BuildingType

router = APIRouter(prefix="/v1", tags=["public"], responses=PROBLEM_RESPONSES)
Store = Annotated[PublicStore, Depends(public_store)]
Ref = Annotated[Reference, Depends(reference)]


@router.get(
    "/city/live",
    response_model=CityLive,
    summary="City live totals",
    description="Total power and flow per utility for the latest complete minute, for the "
    "city and each district, with solar generation against electricity use "
    "(self-sufficiency). Groups below the privacy threshold, or withheld so that such a group "
    "cannot be derived by subtraction, say `suppressed` with a reason.",
    dependencies=[Depends(cache_for("live"))],
)
def city_live(store: Store, ref: Ref) -> CityLive:
    return public_data.live(store, ref)


@router.get(
    "/districts",
    response_model=list[District],
    summary="Districts (자치구)",
    dependencies=[Depends(cache_for("reference"))],
)
def districts(ref: Ref) -> list[District]:
    return [
        District(
            code=d.code,
            name_ko=d.name_ko,
            name_en=d.name_en,
            households=d.households,
            population=d.population,
            dongs=len(ref.geo.dongs_of(d.code)),
        )
        for d in ref.geo.districts.values()
    ]


def _district(ref: Reference, code: str) -> None:
    if not ref.is_district(code):
        known = ", ".join(sorted(ref.geo.districts))
        raise not_found(f"unknown district code {code!r}; known: {known}")


def _dong(ref: Reference, district: str, dong: str) -> None:
    _district(ref, district)
    if not ref.is_dong(district, dong):
        raise not_found(
            f"unknown dong code {dong!r} in district {district} (see /v1/districts/{district}/dongs)"
        )


@router.get(
    "/districts/{district}/dongs",
    response_model=list[Dong],
    summary="Administrative dongs (행정동) of a district",
    dependencies=[Depends(cache_for("reference"))],
)
def dongs(district: DistrictP, ref: Ref) -> list[Dong]:
    _district(ref, district)
    return [
        Dong(code=d.code, name_ko=d.name_ko, district=d.district)
        for d in ref.geo.dongs_of(district)
    ]


@router.get(
    "/building-types",
    response_model=list[BuildingTypeInfo],
    summary="Building types",
    dependencies=[Depends(cache_for("reference"))],
)
def building_types() -> list[BuildingTypeInfo]:
    return [
        BuildingTypeInfo(code=code, name_ko=ko, name_en=en)
        for code, (ko, en) in BUILDING_TYPE_LABELS.items()
    ]


_SERIES_DOC = (
    "Consumption per `every` (hour, day or month; days and months in KST) between `start` "
    "and `end`, with CO2e, the window's total, and the same totals for the previous period "
    "of equal length and for the same window a year before. Periods without a published "
    "figure carry `status` (`suppressed` by the privacy rule — below k, or withheld so that a "
    "smaller group cannot be derived by subtraction — or `no_data`) and `reason`."
)


@dataclass(frozen=True)
class SeriesArgs:
    """The query every consumption series takes: which utility, over which window."""

    utility: Utility
    window: Window


def series_args(
    response: Response,
    utility: UtilityQ = Utility.ELECTRICITY,
    start: StartQ = None,
    end: EndQ = None,
    every: EveryQ = Every.DAY,
) -> SeriesArgs:
    w = window(start, end, every)
    say_window(response, w)
    return SeriesArgs(utility, w)


Args = Annotated[SeriesArgs, Depends(series_args)]


def _bt(building_type: BuildingType | None) -> str:
    return building_type.value if building_type else GROUP_ALL


def _series_route(
    path: str, summary: str
) -> Callable[[Callable[..., Series]], Callable[..., Series]]:
    """The four consumption series: one response model, description and cache rule."""
    return router.get(
        path,
        response_model=Series,
        summary=summary,
        description=_SERIES_DOC,
        dependencies=[Depends(cache_for("series"))],
    )


def _series(store: PublicStore, ref: Reference, group: GroupRef, args: SeriesArgs) -> Series:
    return public_data.series(store, ref, group, args.utility, args.window)


@_series_route("/city/consumption", "City consumption series")
def city_consumption(
    store: Store, ref: Ref, args: Args, building_type: BuildingTypeQ = None
) -> Series:
    group = GroupRef(district=GROUP_ALL, dong=GROUP_ALL, building_type=_bt(building_type))
    return _series(store, ref, group, args)


@_series_route("/districts/{district}/consumption", "District consumption series")
def district_consumption(
    district: DistrictP, store: Store, ref: Ref, args: Args, building_type: BuildingTypeQ = None
) -> Series:
    _district(ref, district)
    group = GroupRef(district=district, dong=GROUP_ALL, building_type=_bt(building_type))
    return _series(store, ref, group, args)


@_series_route("/districts/{district}/dongs/{dong}/consumption", "Dong consumption series")
def dong_consumption(
    district: DistrictP,
    dong: DongP,
    store: Store,
    ref: Ref,
    args: Args,
    building_type: BuildingTypeQ = None,
) -> Series:
    _dong(ref, district, dong)
    group = GroupRef(district=district, dong=dong, building_type=_bt(building_type))
    return _series(store, ref, group, args)


@_series_route(
    "/building-types/{building_type}/consumption", "Building-type consumption series (city-wide)"
)
def building_type_consumption(
    building_type: BuildingTypeP, store: Store, ref: Ref, args: Args
) -> Series:
    group = GroupRef(district=GROUP_ALL, dong=GROUP_ALL, building_type=building_type.value)
    return _series(store, ref, group, args)


@router.get(
    "/rankings/dongs",
    response_model=Ranking,
    summary="Dongs ranked by consumption per household",
    description="Where the city should look first: dongs with published figures, highest "
    "consumption per household first (days in KST). Dongs whose figures are withheld are "
    "listed after them with their reason; dongs without households are not ranked.",
    dependencies=[Depends(cache_for("series"))],
)
def dong_ranking(
    store: Store,
    ref: Ref,
    response: Response,
    utility: UtilityQ = Utility.ELECTRICITY,
    start: StartQ = None,
    end: EndQ = None,
) -> Ranking:
    w = window(start, end, Every.DAY, coarsen=False)  # per day: a longer window is cut
    say_window(response, w)
    totals = public_totals.dong_totals(store, utility.value, w)
    ranked, others = [], []
    for (district, dong), t in totals.items():
        name = ref.geo.dongs[dong].name_ko if dong in ref.geo.dongs else dong
        entry = RankedDong(
            district=district,
            dong=dong,
            name_ko=name,
            status="ok",
            consumption=t["consumption"],
            households=t["households"],
            sites=t["sites"],
            simulated_sites=t[FIELD_SIMULATED_SITES],
        )
        if t["households"] > 0:
            entry.per_household = t["consumption"] / t["households"]
            ranked.append(entry)
        else:
            entry.reason = "no households behind this figure (e.g. industrial sites only)"
            others.append(entry)
    ranked.sort(key=lambda e: e.per_household or 0.0, reverse=True)
    for i, entry in enumerate(ranked, start=1):
        entry.rank = i
    withheld = public_totals.withheld_dongs(store, utility.value, w)
    for district, dong in ref.registered_dongs():
        if (district, dong) not in totals:
            status, reason = ref.missing_reason(
                district, dong, GROUP_ALL, withheld.get((district, dong))
            )
            others.append(
                RankedDong(
                    district=district,
                    dong=dong,
                    name_ko=ref.geo.dongs[dong].name_ko if dong in ref.geo.dongs else dong,
                    status=status,
                    reason=reason,
                )
            )
    return Ranking(
        utility=utility,
        unit=UNITS[utility.value],
        start=w.start.isoformat(),
        end=w.end.isoformat(),
        dongs=ranked + others,
    )
