"""Public totals across groups: ranking, open data, the dong map, an area's building types.

Like `public_data`, computed from the public bucket's rollups only; one query
per level and window, whatever the number of meters.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from stores.influx import PublicStore
from stores.public_data import ALL, withheld_markers
from stores.timewin import Every, Window, floor, from_ms, ms
from telemetry.influx_schema import CONSUMPTION_1D, CONSUMPTION_1H
from telemetry.influxql import tag_eq, tag_ne, time_window


def group_totals(
    store: PublicStore, utility: str | None, level: str, w: Window
) -> list[dict[str, Any]]:
    """Per group of a level and period: consumption, co2e, households, sites."""
    filters = {
        "city": (tag_eq("district", ALL), tag_eq("building_type", ALL)),
        "district": (
            tag_ne("district", ALL),
            tag_eq("dong", ALL),
            tag_eq("building_type", ALL),
        ),
        "dong": (tag_ne("dong", ALL), tag_eq("building_type", ALL)),
        "building_type": (tag_eq("district", ALL), tag_ne("building_type", ALL)),
    }[level]
    where = " AND ".join((*filters, time_window(ms(w.start), ms(w.end))))
    if utility:
        where += " AND " + tag_eq("utility", utility)
    measurement = CONSUMPTION_1H if w.every is Every.HOUR else CONSUMPTION_1D
    rows = store.rows(
        f"SELECT consumption, co2e_kg, households, sites FROM {measurement} WHERE {where} "
        "GROUP BY utility, district, dong, building_type"
    )
    if w.every is not Every.MONTH:
        return rows
    merged: dict[tuple, dict[str, Any]] = {}
    for r in rows:
        month = ms(floor(from_ms(r["time"]), Every.MONTH))
        key = (r["utility"], r["district"], r["dong"], r["building_type"], month)
        m = merged.setdefault(key, {**r, "time": month, "consumption": 0.0, "co2e_kg": 0.0})
        m["consumption"] += r["consumption"]
        m["co2e_kg"] += r["co2e_kg"]
        m["households"] = max(m["households"] or 0, r["households"] or 0)
        m["sites"] = max(m["sites"] or 0, r["sites"] or 0)
    return list(merged.values())


def dong_totals(store: PublicStore, utility: str, w: Window) -> dict[tuple[str, str], dict]:
    """Per dong over the whole window: consumption and the most households seen."""
    out: dict[tuple[str, str], dict] = defaultdict(lambda: {"consumption": 0.0, "households": 0})
    for r in group_totals(store, utility, "dong", w):
        cell = out[(r["district"], r["dong"])]
        cell["consumption"] += r["consumption"]
        cell["households"] = max(cell["households"], r["households"] or 0)
    return dict(out)


def withheld_dongs(store: PublicStore, utility: str, w: Window) -> set[tuple[str, str]]:
    """(district, dong) of dongs with a complementary-suppression marker in the window."""
    measurement = CONSUMPTION_1H if w.every is Every.HOUR else CONSUMPTION_1D
    where = " AND ".join(
        (
            tag_ne("dong", ALL),
            tag_eq("building_type", ALL),
            tag_eq("utility", utility),
            time_window(ms(w.start), ms(w.end)),
        )
    )
    return {(r["district"], r["dong"]) for r in withheld_markers(store, measurement, where)}


def area_type_totals(
    store: PublicStore, utility: str, district: str, dong: str, w: Window
) -> tuple[dict[str, dict[str, float]], set[str]]:
    """One area's (district, dong or `all`) use per building type over the window, and the
    types the rollup withheld by complementary suppression in it."""
    where = " AND ".join(
        (
            tag_eq("district", district),
            tag_eq("dong", dong),
            tag_ne("building_type", ALL),
            tag_eq("utility", utility),
            time_window(ms(w.start), ms(w.end)),
        )
    )
    measurement = CONSUMPTION_1H if w.every is Every.HOUR else CONSUMPTION_1D
    found: dict[str, dict[str, float]] = {}
    for r in store.rows(
        f"SELECT consumption, co2e_kg FROM {measurement} WHERE {where} GROUP BY building_type"
    ):
        cell = found.setdefault(r["building_type"], {"consumption": 0.0, "co2e_kg": 0.0})
        cell["consumption"] += r["consumption"]
        cell["co2e_kg"] += r["co2e_kg"]
    marked = {r["building_type"] for r in withheld_markers(store, measurement, where)}
    return found, marked - set(found)
