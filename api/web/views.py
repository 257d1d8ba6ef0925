"""What each portal page shows, computed from the public store only (through public_data).

Functions return plain dictionaries for the templates; figures stay numbers
(the templates format them) and every missing figure carries the key of its
reason in the messages files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stores import public_data, public_totals
from stores.figures import RATE_UNITS, UNITS, CityLive, GroupRef, LiveFigure, Series
from stores.influx import PublicStore
from stores.reference import Reference
from stores.timewin import Every, Window, window
from telemetry.emissions import EmissionFactors
from telemetry.fields import Utility
from telemetry.influx_schema import GROUP_ALL

USE = [Utility.ELECTRICITY, Utility.GAS, Utility.WATER, Utility.HEAT]  # what the city uses
ORDER = [*USE, Utility.SOLAR]


def reason_key(status: str, reason: str | None) -> str:
    """Which reason (messages key) a withheld or missing figure has; the API words it in English."""
    if status == "suppressed":
        if reason and reason.startswith("withheld so that"):
            return "reason_complementary"
        if reason and reason.startswith("one site dominates"):
            return "reason_dominated"
        return "reason_below_k"
    if reason and reason.startswith("no metered sites"):
        return "reason_no_sites"
    return "reason_no_data"


def _figure(f: LiveFigure, factors: EmissionFactors) -> dict[str, Any]:
    co2e = factors.kg(f.utility, f.rate) if f.rate is not None else None
    return {
        "utility": f.utility.value,
        "status": f.status,
        "reason": None if f.status == "ok" else reason_key(f.status, f.reason),
        "rate": f.rate,
        "unit": RATE_UNITS[f.utility.value],
        "co2e_kg_h": co2e,
    }


def _co2e_per_hour(figures: dict[str, dict[str, Any]]) -> float | None:
    """kg CO2e per hour of the utilities used (rate × 1 h × factor); None if none is public."""
    values = [figures[u.value]["co2e_kg_h"] for u in USE]
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def city_now(store: PublicStore, ref: Reference, factors: EmissionFactors) -> dict[str, Any]:
    live: CityLive = public_data.live(store, ref)
    figures = {f.utility.value: _figure(f, factors) for f in live.utilities}
    districts = []
    for d in live.districts:
        cells = {f.utility.value: _figure(f, factors) for f in d.utilities}
        districts.append(
            {
                "code": d.code,
                "name_ko": d.name_ko,
                "name_en": d.name_en,
                "figures": [cells[u.value] for u in ORDER],
                "ratio": d.self_sufficiency.ratio,
            }
        )
    every_figure = [*figures.values(), *(f for d in districts for f in d["figures"])]
    return {
        "minute": live.minute,
        "reasons": sorted({f["reason"] for f in every_figure if f["reason"]}),
        "figures": [figures[u.value] for u in ORDER],
        "ratio": live.self_sufficiency.ratio,
        "co2e_kg_h": _co2e_per_hour(figures),
        "solar_avoided_kg_h": figures[Utility.SOLAR.value]["co2e_kg_h"],
        "districts": districts,
        "factors": {u.value: factors.kg(u, 1.0) for u in ORDER},
    }


PERIODS = {"day": Every.DAY, "month": Every.MONTH}


def map_window(period: str) -> Window:
    """Today so far, or this month so far (KST)."""
    every = PERIODS[period]
    w = window(None, None, every)
    start = w.periods()[-1][0]
    return Window(start, w.end, Every.DAY)


def dong_map(store: PublicStore, ref: Reference, utility: Utility, period: str) -> list[dict]:
    """Every dong of the city with its use per household, or why it has none."""
    w = map_window(period)
    totals = public_totals.dong_totals(store, utility.value, w)
    marked = public_totals.withheld_dongs(store, utility.value, w)
    rows = []
    for dong in ref.geo.dongs.values():
        t = totals.get((dong.district, dong.code))
        row: dict[str, Any] = {
            "code": dong.code,
            "name_ko": dong.name_ko,
            "district": dong.district,
        }
        if t is None:
            status, reason = ref.missing_reason(
                dong.district, dong.code, GROUP_ALL, marked.get((dong.district, dong.code))
            )
            row |= {"status": status, "reason": reason_key(status, reason)}
        else:
            per = t["consumption"] / t["households"] if t["households"] else None
            row |= {
                "status": "ok",
                "reason": None,
                "consumption": t["consumption"],
                "households": t["households"] or None,
                "per_household": per,
            }
        rows.append(row)
    return rows


def building_types(
    store: PublicStore, ref: Reference, utility: Utility, period: str
) -> list[dict[str, Any]]:
    """City-wide use per building type over today or this month, or why a type has none."""
    w = map_window(period)
    found: dict[str, dict[str, Any]] = {}
    for r in public_totals.group_totals(store, utility.value, "building_type", w):
        cell = found.setdefault(r["building_type"], {"consumption": 0.0, "co2e_kg": 0.0})
        cell["consumption"] += r["consumption"]
        cell["co2e_kg"] += r["co2e_kg"]
    rows = []
    for code in ref.building_types():
        row: dict[str, Any] = {"code": code, **found.get(code, {})}
        if code in found:
            row |= {"status": "ok", "reason": None}
        else:
            status, reason = ref.missing_reason(GROUP_ALL, GROUP_ALL, code, False)
            row |= {"status": status, "reason": reason_key(status, reason)}
        rows.append(row)
    return rows


def area_types(
    store: PublicStore, ref: Reference, group: GroupRef, utility: Utility, every: Every
) -> list[dict[str, Any]]:
    """An area's use per building type over the page's window, or why a type has none."""
    w = window(None, None, every)
    found, marked = public_totals.area_type_totals(
        store, utility.value, group.district, group.dong, w
    )
    rows = []
    for code in ref.building_types_in(group.district, group.dong):
        row: dict[str, Any] = {"code": code, **found.get(code, {})}
        if code in found:
            row |= {"status": "ok", "reason": None}
        else:
            status, reason = ref.missing_reason(group.district, group.dong, code, marked.get(code))
            row |= {"status": status, "reason": reason_key(status, reason)}
        rows.append(row)
    return rows


def rank_of(store: PublicStore, utility: Utility, w: Window, dong: str) -> tuple[int, int] | None:
    """(rank, of) by use per household among dongs with households, highest first."""
    totals = public_totals.dong_totals(store, utility.value, w)
    per = {
        code: t["consumption"] / t["households"]
        for (_, code), t in totals.items()
        if t["households"]
    }
    if dong not in per:
        return None
    ordered = sorted(per, key=lambda c: per[c], reverse=True)
    return ordered.index(dong) + 1, len(ordered)


@dataclass(frozen=True)
class AreaSeries:
    now: Series
    before: Series  # the previous period of equal length, point by point
    unit: str


def area_series(
    store: PublicStore, ref: Reference, group: GroupRef, utility: Utility, every: Every
) -> AreaSeries:
    w = window(None, None, every)
    now = public_data.series(store, ref, group, utility, w)
    before = public_data.series(store, ref, group, utility, w.previous_period())
    return AreaSeries(now, before, UNITS[utility.value])


def plain_line_key(change_pct: float | None) -> str:
    if change_pct is None:
        return "line_none"
    if abs(change_pct) < 0.5:
        return "line_same"
    return "line_less" if change_pct < 0 else "line_more"
