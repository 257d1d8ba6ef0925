"""Public answers, computed from the public bucket's rollups only (never raw readings).

Every function takes a PublicStore: the cost of an answer depends on the
number of groups and periods asked for, not on the number of meters.

Where a group has no public figure, the `withheld` markers of the rollup say
whether it was withheld by complementary suppression (status `suppressed`)
rather than missing (`no_data`); a figure, where there is one, always wins
over a marker (a later pass may have published the group after all).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from stores.figures import (
    RATE_UNITS,
    UNITS,
    CityLive,
    Comparison,
    DistrictLive,
    GroupRef,
    LiveFigure,
    SelfSufficiency,
    Series,
    SeriesPoint,
    Total,
)
from stores.influx import PublicStore
from stores.reference import Reference
from stores.timewin import KST, Every, Window, floor, from_ms, ms
from telemetry.fields import Utility
from telemetry.influx_schema import (
    CONSUMPTION_1D,
    CONSUMPTION_1H,
    FIELD_REVISED,
    FIELD_REVISION_WITHHELD,
    FIELD_SIMULATED_SITES,
    GROUP_ALL,
    LIVE_1M,
    TAG_MEASUREMENT,
    WITHHELD,
    WITHHELD_ACTIVE,
)
from telemetry.influxql import quote_ident, tag_eq, time_window

ALL = GROUP_ALL
LIVE_HORIZON = dt.timedelta(minutes=15)


def withheld_markers(store: PublicStore, measurement: str, where: str) -> list[dict[str, Any]]:
    """Standing withheld markers of one rollup measurement (tags, time and `reason`:
    `complementary` to protect another group, `dominated` where one site dominates)."""
    rows = store.rows(
        f"SELECT reason FROM {WITHHELD} WHERE {tag_eq(TAG_MEASUREMENT, measurement)} AND {where} "
        "GROUP BY utility, district, dong, building_type"
    )
    return [r for r in rows if r.get("reason") in WITHHELD_ACTIVE]


def strongest(reasons: Any) -> str | None:
    """Of several markers' reasons (a window's periods), the one a reader is told:
    `dominated` wins (it says more about the group); None when there is none."""
    found = set(reasons)
    if not found:
        return None
    return "dominated" if "dominated" in found else sorted(found)[0]


# --- live ----------------------------------------------------------------


def live(store: PublicStore, ref: Reference, now: dt.datetime | None = None) -> CityLive:
    """The latest complete minute: city and district totals per utility."""
    now = now or dt.datetime.now(KST)
    current_minute = now.replace(second=0, microsecond=0)
    rows = store.rows(
        f"SELECT rate, meters, sites, {SIMULATED} FROM {LIVE_1M} "
        f"WHERE {time_window(ms(current_minute - LIVE_HORIZON), ms(current_minute))} "
        f"AND {tag_eq('dong', ALL)} AND {tag_eq('building_type', ALL)} "
        "GROUP BY utility, district ORDER BY time DESC LIMIT 1"
    )
    minute = max((r["time"] for r in rows), default=None)
    latest = {(r["utility"], r["district"]): r for r in rows if r["time"] == minute}
    marked: dict[tuple[str, str], str] = {}
    if minute is not None:
        where = (
            f"time = {int(minute)}ms AND {tag_eq('dong', ALL)} AND {tag_eq('building_type', ALL)}"
        )
        marked = {
            (r["utility"], r["district"]): r["reason"]
            for r in withheld_markers(store, LIVE_1M, where)
        }
    districts = [
        DistrictLive(
            code=d.code,
            name_ko=d.name_ko,
            name_en=d.name_en,
            utilities=_figures(latest, marked, ref, d.code),
            self_sufficiency=_self_sufficiency(latest, marked, ref, d.code),
        )
        for d in ref.geo.districts.values()
    ]
    return CityLive(
        minute=from_ms(minute).isoformat() if minute is not None else None,
        utilities=_figures(latest, marked, ref, ALL),
        self_sufficiency=_self_sufficiency(latest, marked, ref, ALL),
        districts=districts,
    )


def _figures(
    latest: dict, marked: dict[tuple[str, str], str], ref: Reference, district: str
) -> list[LiveFigure]:
    out = []
    for utility in Utility:
        row = latest.get((utility.value, district))
        unit = RATE_UNITS[utility.value]
        if row is None:
            why = marked.get((utility.value, district))
            status, reason = ref.missing_reason(district, ALL, ALL, why)
            out.append(LiveFigure(utility=utility, unit=unit, status=status, reason=reason))
        else:
            out.append(
                LiveFigure(
                    utility=utility,
                    unit=unit,
                    status="ok",
                    rate=row["rate"],
                    meters=row["meters"],
                    sites=row["sites"],
                    simulated_sites=row.get(FIELD_SIMULATED_SITES),
                )
            )
    return out


def _self_sufficiency(
    latest: dict, marked: dict[tuple[str, str], str], ref: Reference, district: str
) -> SelfSufficiency:
    solar = latest.get(("solar", district))
    elec = latest.get(("electricity", district))
    if solar is None or elec is None:
        why = strongest(
            marked[(u, district)]
            for u in ("solar", "electricity")
            if (u, district) in marked and latest.get((u, district)) is None
        )
        status, reason = ref.missing_reason(district, ALL, ALL, why)
        return SelfSufficiency(status=status, reason=reason)
    ratio = solar["rate"] / elec["rate"] if elec["rate"] > 0 else None
    return SelfSufficiency(
        status="ok", solar_kw=solar["rate"], electricity_kw=elec["rate"], ratio=ratio
    )


# --- series --------------------------------------------------------------


def _group_filter(group: GroupRef, utility: str) -> str:
    return " AND ".join(
        (
            tag_eq("utility", utility),
            tag_eq("district", group.district),
            tag_eq("dong", group.dong),
            tag_eq("building_type", group.building_type),
        )
    )


def _points(store: PublicStore, group: GroupRef, utility: str, w: Window) -> dict[int, dict]:
    """Stored points by period start (ms); months are summed from days."""
    measurement = CONSUMPTION_1H if w.every is Every.HOUR else CONSUMPTION_1D
    rows = store.rows(
        f"SELECT consumption, co2e_kg, households, sites, {SIMULATED}, {REVISION_FIELDS} "
        f"FROM {measurement} "
        f"WHERE {_group_filter(group, utility)} AND {time_window(ms(w.start), ms(w.end))}"
    )
    rows = [r for r in rows if r.get("consumption") is not None]
    if w.every is not Every.MONTH:
        return {r["time"]: r for r in rows}
    months: dict[int, dict[str, Any]] = {}
    for r in rows:
        key = ms(floor(from_ms(r["time"]), Every.MONTH))
        m = months.setdefault(
            key, {"consumption": 0.0, "co2e_kg": 0.0, "households": 0, "sites": 0}
        )
        m["consumption"] += r["consumption"]
        m["co2e_kg"] += r["co2e_kg"]
        m["households"] = max(m["households"], r["households"] or 0)
        m["sites"] = max(m["sites"], r["sites"] or 0)
        if r.get(FIELD_SIMULATED_SITES) is not None:
            m[FIELD_SIMULATED_SITES] = max(
                m.get(FIELD_SIMULATED_SITES, 0), r[FIELD_SIMULATED_SITES]
            )
        latest_revisions(m, r)
    return months


# A group point's revision times (collector/rollup/aggregate.py): the figure revised
# after its period ended, or its revision withheld (the figure is the one before).
REVISION_FIELDS = f"{quote_ident(FIELD_REVISED)}, {quote_ident(FIELD_REVISION_WITHHELD)}"
# How many of a figure's sites are simulated (written when the registry has any).
SIMULATED = quote_ident(FIELD_SIMULATED_SITES)


def latest_revisions(into: dict[str, Any], row: dict[str, Any]) -> None:
    """A month summed from days: the latest revision of any of its days."""
    for f in (FIELD_REVISED, FIELD_REVISION_WITHHELD):
        if row.get(f) is not None:
            into[f] = max(into.get(f) or 0, row[f])


def revision_times(row: dict[str, Any]) -> dict[str, str | None]:
    """`revised` and `revision_withheld` as ISO 8601 (KST); a withheld revision older than
    the latest published one no longer stands."""
    revised, withheld = row.get(FIELD_REVISED), row.get(FIELD_REVISION_WITHHELD)
    if withheld is not None and revised is not None and revised >= withheld:
        withheld = None
    return {
        "revised": from_ms(int(revised)).isoformat() if revised is not None else None,
        "revision_withheld": from_ms(int(withheld)).isoformat() if withheld is not None else None,
    }


def _marked_periods(store: PublicStore, group: GroupRef, utility: str, w: Window) -> dict[int, str]:
    """Period starts (ms) with a withheld marker, and its reason; months from days."""
    measurement = CONSUMPTION_1H if w.every is Every.HOUR else CONSUMPTION_1D
    rows = withheld_markers(
        store,
        measurement,
        f"{_group_filter(group, utility)} AND {time_window(ms(w.start), ms(w.end))}",
    )
    out: dict[int, list[str]] = {}
    for r in rows:
        key = (
            r["time"] if w.every is not Every.MONTH else ms(floor(from_ms(r["time"]), Every.MONTH))
        )
        out.setdefault(key, []).append(r["reason"])
    return {key: strongest(reasons) or "" for key, reasons in out.items()}


def _missing(ref: Reference, group: GroupRef, marked: str | None) -> tuple[str, str]:
    return ref.missing_reason(group.district, group.dong, group.building_type, marked)


def series(
    store: PublicStore, ref: Reference, group: GroupRef, utility: Utility, w: Window
) -> Series:
    found = _points(store, group, utility.value, w)
    marked = _marked_periods(store, group, utility.value, w)
    points = []
    for start, end in w.periods():
        row = found.get(ms(start))
        if row is None:
            status, reason = _missing(ref, group, marked.get(ms(start)))
            points.append(
                SeriesPoint(
                    start=start.isoformat(), end=end.isoformat(), status=status, reason=reason
                )
            )
        else:
            points.append(
                SeriesPoint(
                    start=start.isoformat(),
                    end=end.isoformat(),
                    status="ok",
                    consumption=row["consumption"],
                    co2e_kg=row["co2e_kg"],
                    households=row["households"],
                    sites=row["sites"],
                    simulated_sites=row.get(FIELD_SIMULATED_SITES),
                    **revision_times(row),
                )
            )
    status, reason = _missing(ref, group, strongest(marked.values()))
    total = _total(w, list(found.values()), len(w.periods()), status, reason)
    return Series(
        group=group,
        utility=utility,
        unit=UNITS[utility.value],
        every=w.every.value,
        points=points,
        total=total,
        previous_period=_compare(store, ref, group, utility, total, w.previous_period()),
        previous_year=_compare(store, ref, group, utility, total, w.previous_year()),
    )


def _total(w: Window, rows: list[dict], periods: int, status: str, reason: str) -> Total:
    if not rows:
        return Total(
            start=w.start.isoformat(),
            end=w.end.isoformat(),
            status=status,
            reason=reason,
            complete=False,
        )
    return Total(
        start=w.start.isoformat(),
        end=w.end.isoformat(),
        status="ok",
        consumption=sum(r["consumption"] for r in rows),
        co2e_kg=sum(r["co2e_kg"] for r in rows),
        complete=len(rows) == periods,
    )


def _compare(
    store: PublicStore, ref: Reference, group: GroupRef, utility: Utility, now: Total, w: Window
) -> Comparison:
    marked = _marked_periods(store, group, utility.value, w)
    status, reason = _missing(ref, group, strongest(marked.values()))
    then = _total(
        w, list(_points(store, group, utility.value, w).values()), len(w.periods()), status, reason
    )
    change = None
    if now.consumption is not None and then.consumption:
        change = (now.consumption - then.consumption) / then.consumption * 100
    return Comparison(**then.model_dump(), change_pct=change)
