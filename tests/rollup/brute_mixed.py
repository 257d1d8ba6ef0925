"""Brute force over raw counters and imported intervals together, written independently
of the rollup code: per meter and per group, hours, KST days and KST months.

Rules (collector/rollup/README.md): a counter reading's use counts in its hour
(brute.counter_use); an interval counts in an hour or KST day when it lies
within it, and in KST months always, split by time; within a meter the
shortest intervals are kept first and any interval overlapping a kept one
is dropped. Groups: per utility and period, a site with counter figures
counts them; a household counts its interval meters, else its bills, and
nothing when the site it lives at has counter figures.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone

from telemetry.influx_schema import interval_measurement, rollup_from
from telemetry.influxql import InfluxQL
from tests.rollup import brute

KST = timezone(timedelta(hours=9))
HOUR, DAY = 3_600_000, 86_400_000
AMOUNT = {
    "electricity": "energy_kwh",
    "gas": "volume_m3",
    "water": "volume_m3",
    "heat": "energy_kwh",
}
LEVELS = ("1h", "1d", "1mo")
Figures = dict[tuple, list]  # (level, utility, site, meter, ts) → [consumption, apportioned]


def kst_month_start(ts: int) -> int:
    d = datetime.fromtimestamp(ts / 1000, tz=KST)
    return int(datetime(d.year, d.month, 1, tzinfo=KST).timestamp() * 1000)


def kst_next_month(start: int) -> int:
    return kst_month_start(start + 32 * DAY)


def period(level: str, ts: int) -> int:
    if level == "1h":
        return ts - ts % HOUR
    if level == "1d":
        return (ts + 9 * HOUR) // DAY * DAY - 9 * HOUR
    return kst_month_start(ts)


def counter_figures(ql: InfluxQL, db: str) -> Figures:
    out: Figures = defaultdict(lambda: [0.0, 0])
    for utility, field in brute.UTILITY_COUNTER.items():
        for tags, values in brute.raw_rows(ql, db, utility, field).items():
            t = dict(tags)
            for ts, used in brute.counter_use(values, brute.MAX_PER_HOUR[utility]):
                for level in LEVELS:
                    out[(level, utility, t["site"], t["meter"], period(level, ts))][0] += used
    return out


def kept(intervals: list[tuple[int, int, float]]) -> list[tuple[int, int, float]]:
    chosen: list[tuple[int, int, float]] = []
    for iv in sorted(intervals, key=lambda x: (x[1] - x[0], x[0])):
        if not any(iv[0] < c[1] and c[0] < iv[1] for c in chosen):
            chosen.append(iv)
    return chosen


def interval_figures(ql: InfluxQL, db: str) -> Figures:
    out: Figures = defaultdict(lambda: [0.0, 0])
    for utility, field in AMOUNT.items():
        series = ql.series(
            f'SELECT "{field}", duration_s FROM {rollup_from(interval_measurement(utility))} '
            "WHERE quality != 'bad' GROUP BY site, meter",
            db,
            epoch="ms",
        )
        for s in series:
            site, meter = s.tags["site"], s.tags["meter"]
            rows = [(t, t + int(d * 1000), v) for t, v, d in s.values if v is not None]
            for start, end, amount in kept(rows):
                for level in ("1h", "1d"):
                    if period(level, start) == period(level, end - 1):
                        out[(level, utility, site, meter, period(level, start))][0] += amount
                month = kst_month_start(start)
                parts = []
                while month < end:
                    following = kst_next_month(month)
                    parts.append((month, min(end, following) - max(start, month)))
                    month = following
                for month, ms in parts:
                    cell = out[("1mo", utility, site, meter, month)]
                    cell[0] += amount * ms / (end - start)
                    cell[1] = max(cell[1], int(len(parts) > 1))
    return out


def holder_of(site: str, meter: str, holders: dict) -> str:
    """The test city's own mapping: a counter's site, or the household an import names."""
    if not meter.startswith(("hh-", "zz-")):
        return site
    household = meter.split("-electricity")[0].split("-gas")[0]
    household = household.split("-water")[0].split("-heat")[0]
    return household if household in holders else f"{site}/{household}"


def groups(counters: Figures, intervals: Figures, holders: dict) -> dict[tuple, dict]:
    """(level, utility, district, dong, bt, ts) → consumption, meters, households, apportioned."""
    metered = {(lv, u, s, ts) for (lv, u, s, _m, ts) in counters}
    per_holder: dict[tuple, dict] = defaultdict(lambda: defaultdict(list))
    for (lv, u, s, _m, ts), (value, apport) in counters.items():
        per_holder[(lv, u, s, ts)]["meter"].append((value, apport))
    for (lv, u, s, m, ts), (value, apport) in intervals.items():
        kind = "bill" if m.endswith("-bill") else "interval"
        per_holder[(lv, u, holder_of(s, m, holders), ts)][kind].append((value, apport))
    out: dict[tuple, dict] = defaultdict(lambda: dict(consumption=0.0, meters=0, households=0))
    for (lv, u, h, ts), kinds in per_holder.items():
        district, dong, bt, households, gate = holders[h]
        if gate is not None and (lv, u, gate, ts) in metered:
            continue
        figures = kinds.get("meter") or kinds.get("interval") or kinds["bill"]
        for g in brute._groups({"district": district, "dong": dong, "building_type": bt}):
            cell = out[(lv, u, *g, ts)]
            cell["consumption"] += sum(v for v, _a in figures)
            cell["meters"] += len(figures)
            cell["households"] += households
            if lv == "1mo":
                cell["apportioned"] = cell.get("apportioned", 0) + sum(a for _v, a in figures)
    return dict(out)
