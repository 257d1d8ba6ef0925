"""Public totals across groups: ranking, open data, the dong map, an area's building types.

Like `public_data`, computed from the public bucket's rollups only; one query
per level and window, whatever the number of meters.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from stores.influx import PublicStore
from stores.public_data import (
    ALL,
    REVISION_FIELDS,
    SIMULATED,
    latest_revisions,
    strongest,
    withheld_markers,
)
from stores.timewin import Every, Window, floor, from_ms, ms
from telemetry.influx_schema import CONSUMPTION_1D, CONSUMPTION_1H, FIELD_SIMULATED_SITES
from telemetry.influxql import tag_eq, tag_ne, time_window

LEVEL_FILTERS = {
    "city": (tag_eq("district", ALL), tag_eq("building_type", ALL)),
    "district": (tag_ne("district", ALL), tag_eq("dong", ALL), tag_eq("building_type", ALL)),
    "dong": (tag_ne("dong", ALL), tag_eq("building_type", ALL)),
    "building_type": (tag_eq("district", ALL), tag_ne("building_type", ALL)),
}


def group_totals(
    store: PublicStore, utility: str | None, level: str, w: Window
) -> list[dict[str, Any]]:
    """Per group of a level and period: consumption, co2e, households, sites."""
    where = " AND ".join((*LEVEL_FILTERS[level], time_window(ms(w.start), ms(w.end))))
    if utility:
        where += " AND " + tag_eq("utility", utility)
    measurement = CONSUMPTION_1H if w.every is Every.HOUR else CONSUMPTION_1D
    rows = store.rows(
        f"SELECT consumption, co2e_kg, households, sites, {SIMULATED}, {REVISION_FIELDS} "
        f"FROM {measurement} WHERE {where} GROUP BY utility, district, dong, building_type"
    )
    rows = [r for r in rows if r.get("consumption") is not None]
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
        if r.get(FIELD_SIMULATED_SITES) is not None:
            m[FIELD_SIMULATED_SITES] = max(
                m.get(FIELD_SIMULATED_SITES) or 0, r[FIELD_SIMULATED_SITES]
            )
        latest_revisions(m, r)
    return list(merged.values())


def dong_totals(store: PublicStore, utility: str, w: Window) -> dict[tuple[str, str], dict]:
    """Per dong over the whole window: consumption, the most households and sites seen,
    and the most simulated sites (None: the platform has none)."""
    out: dict[tuple[str, str], dict] = defaultdict(
        lambda: {"consumption": 0.0, "households": 0, "sites": 0, FIELD_SIMULATED_SITES: None}
    )
    for r in group_totals(store, utility, "dong", w):
        cell = out[(r["district"], r["dong"])]
        cell["consumption"] += r["consumption"]
        cell["households"] = max(cell["households"], r["households"] or 0)
        cell["sites"] = max(cell["sites"], r["sites"] or 0)
        if r.get(FIELD_SIMULATED_SITES) is not None:
            simulated = cell[FIELD_SIMULATED_SITES] or 0
            cell[FIELD_SIMULATED_SITES] = max(simulated, r[FIELD_SIMULATED_SITES])
    return dict(out)


def withheld_dongs(store: PublicStore, utility: str, w: Window) -> dict[tuple[str, str], str]:
    """(district, dong) → reason of dongs with a withheld marker in the window
    (`dominated` when any of its periods was withheld for a dominant site)."""
    measurement = CONSUMPTION_1H if w.every is Every.HOUR else CONSUMPTION_1D
    where = " AND ".join(
        (
            tag_ne("dong", ALL),
            tag_eq("building_type", ALL),
            tag_eq("utility", utility),
            time_window(ms(w.start), ms(w.end)),
        )
    )
    found: dict[tuple[str, str], list[str]] = {}
    for r in withheld_markers(store, measurement, where):
        found.setdefault((r["district"], r["dong"]), []).append(r["reason"])
    return {key: strongest(reasons) or "" for key, reasons in found.items()}


def area_type_totals(
    store: PublicStore, utility: str, district: str, dong: str, w: Window
) -> tuple[dict[str, dict[str, float]], dict[str, str]]:
    """One area's (district, dong or `all`) use per building type over the window, and the
    types the rollup withheld in it (with k holders or more) → the marker's reason."""
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
    marked: dict[str, list[str]] = {}
    for r in withheld_markers(store, measurement, where):
        marked.setdefault(r["building_type"], []).append(r["reason"])
    return found, {bt: strongest(rs) or "" for bt, rs in marked.items() if bt not in found}


def withheld_groups(
    store: PublicStore, utility: str | None, level: str, w: Window
) -> list[dict[str, Any]]:
    """The withheld markers of a level's groups in the window (tags, time, reason): groups
    with enough holders withheld by the disclosure control (months from days)."""
    where = " AND ".join((*LEVEL_FILTERS[level], time_window(ms(w.start), ms(w.end))))
    if utility:
        where += " AND " + tag_eq("utility", utility)
    measurement = CONSUMPTION_1H if w.every is Every.HOUR else CONSUMPTION_1D
    rows = withheld_markers(store, measurement, where)
    if w.every is not Every.MONTH:
        return rows
    merged: dict[tuple, dict[str, Any]] = {}
    for r in rows:
        month = ms(floor(from_ms(r["time"]), Every.MONTH))
        key = (r["utility"], r["district"], r["dong"], r["building_type"], month)
        m = merged.setdefault(key, {**r, "time": month, "reasons": []})
        m["reasons"].append(r["reason"])
        m["reason"] = strongest(m["reasons"])
    return list(merged.values())
