"""Brute-force rollups straight from raw readings (InfluxQL), written independently of the rollup code."""

from __future__ import annotations

from collections import defaultdict
from itertools import pairwise

from collector.rollup.disclosure import TOP
from telemetry.influx_schema import (
    FIELD_BASIS,
    FIELD_DECIDED,
    FIELD_DISCLOSURE,
    FIELD_HOLDERS,
    FIELD_TOP,
    rollup_from,
)
from telemetry.influxql import InfluxQL, quote_ident

ALL = "all"
HOUR = 3_600_000
MINUTE = 60_000
UTILITY_COUNTER = {"electricity": "energy_kwh", "solar": "energy_kwh"}
# The most a counter can count per hour: the plausible high of power_kw (kW).
MAX_PER_HOUR = {"electricity": 100_000.0, "solar": 100_000.0}
CONFIRMING = 3  # readings in line after a drop that make it a reset


def _fits(level: tuple[int, float], reading: tuple[int, float], per_hour: float) -> bool:
    hours = max(reading[0] - level[0], 1000) / HOUR
    return level[1] * (1 - 1e-9) <= reading[1] <= level[1] + per_hour * hours


def counter_use(values: list, per_hour: float) -> list[tuple[int, float]]:
    """(ts, used) of every reading, by scanning ahead from each suspect reading.

    A reading that does not fit the last accepted one is looked past: when a
    later reading fits the accepted one again, everything between was a
    glitch (0); when CONFIRMING readings in a row each fit the one before, the
    first of them restarted the counter, once the counter moved past it: it
    counts its own value if that is
    possible in the time, then each counts its difference. A drop that fits
    the reading before the last accepted one makes that one a spike (0).
    """
    out = [(values[0][0], 0.0)]
    before, level, i = None, values[0], 1
    while i < len(values):
        if _fits(level, values[i], per_hour):
            out.append((values[i][0], values[i][1] - level[1]))
            before, level, i = level, values[i], i + 1
            continue
        if before and values[i][1] < level[1] and _fits(before, values[i], per_hour):
            out[-1] = (level[0], 0.0)
            before, level = None, before
            continue
        run_start, j, restarted = i, i + 1, False
        while j < len(values) and not _fits(level, values[j], per_hour):
            if not _fits(values[j - 1], values[j], per_hour):
                run_start = j
            elif j - run_start >= CONFIRMING and values[j][1] > values[run_start][1] * (1 + 1e-9):
                restarted = True
                break
            j += 1
        # run_start..j (restarted) or i..j-1 (back to the level, or no more data)
        out.extend((ts, 0.0) for ts, _ in values[i : run_start if restarted else j])
        if not restarted:
            i = j
            continue
        first = values[run_start]
        possible = (
            first[1] < level[1] and first[1] <= per_hour * max(first[0] - level[0], 1000) / HOUR
        )
        out.append((first[0], first[1] if possible else 0.0))
        out.extend((b[0], b[1] - a[1]) for a, b in pairwise(values[run_start : j + 1]))
        before, level, i = values[j - 1], values[j], j + 1
    return out


def _groups(tags: dict[str, str]) -> list[tuple[str, str, str]]:
    d, dong, bt = tags["district"], tags["dong"], tags["building_type"]
    return [(x, y, z) for x, y in ((ALL, ALL), (d, ALL), (d, dong)) for z in (bt, ALL)]


def raw_rows(ql: InfluxQL, db: str, utility: str, field: str) -> dict[tuple, list]:
    """Every reading not marked bad, per meter series, by its raw tags."""
    series = ql.series(
        f'SELECT "{field}" FROM "{utility}" WHERE quality != \'bad\' '
        "GROUP BY site, meter, district, dong, building_type",
        db,
        epoch="ms",
    )
    return {tuple(sorted(s.tags.items())): s.values for s in series}


def hourly_consumption(ql: InfluxQL, db: str) -> dict[tuple, float]:
    """(utility, district, dong, building_type, hour) -> consumption.

    What a reading adds (counter_use) counts for the hour of that reading.
    """
    out: dict[tuple, float] = defaultdict(float)
    for utility, field in UTILITY_COUNTER.items():
        for tags, values in raw_rows(ql, db, utility, field).items():
            t = dict(tags)
            for ts, used in counter_use(values, MAX_PER_HOUR[utility]):
                for g in _groups(t):
                    out[(utility, *g, ts - ts % HOUR)] += used
    return dict(out)


def live(ql: InfluxQL, db: str) -> dict[tuple, tuple[float, int]]:
    """(utility, group..., minute) -> (sum of each meter's last rate in the minute, meters)."""
    out: dict[tuple, list] = defaultdict(lambda: [0.0, 0])
    for utility in UTILITY_COUNTER:
        for tags, values in raw_rows(ql, db, utility, "power_kw").items():
            last: dict[int, tuple[int, float]] = {}
            for ts, v in values:
                minute = ts - ts % MINUTE
                if minute not in last or ts >= last[minute][0]:
                    last[minute] = (ts, v)
            for minute, (_, v) in last.items():
                for g in _groups(dict(tags)):
                    cell = out[(utility, *g, minute)]
                    cell[0] += v
                    cell[1] += 1
    return {k: (v[0], v[1]) for k, v in out.items()}


def stored(
    ql: InfluxQL, db: str, measurement: str, fields: str, public: bool = False
) -> dict[tuple, dict]:
    """A rollup measurement keyed like the brute force: (utility, district, dong, bt, ts).

    From the raw database's rollups policy, or with `public` the public bucket's. The
    decision kept on private group points only (aggregate.version_fields) is left out,
    so that a public row equals its private one."""
    source = quote_ident(measurement) if public else rollup_from(measurement)
    rows = ql.rows(
        f"SELECT {fields} FROM {source} GROUP BY utility, district, dong, building_type",
        db,
        epoch="ms",
    )
    return {
        (r["utility"], r["district"], r["dong"], r["building_type"], r["time"]): {
            k: v for k, v in r.items() if public or k not in DECISION_FIELDS
        }
        for r in rows
    }


DECISION_FIELDS = {
    FIELD_BASIS,
    FIELD_HOLDERS,
    FIELD_DISCLOSURE,
    FIELD_DECIDED,
    *(f"{FIELD_TOP}{i}" for i in range(1, TOP + 1)),
}
