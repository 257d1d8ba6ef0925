"""Brute-force rollups straight from raw readings (InfluxQL), written independently of the rollup code."""

from __future__ import annotations

from collections import defaultdict
from itertools import pairwise

from telemetry.influxql import InfluxQL

ALL = "all"
HOUR = 3_600_000
MINUTE = 60_000
UTILITY_COUNTER = {"electricity": "energy_kwh", "solar": "energy_kwh"}


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

    Each pair of consecutive readings counts for the hour of the later one; a
    counter that went down started again from 0, so the new value is what was used.
    """
    out: dict[tuple, float] = defaultdict(float)
    for utility, field in UTILITY_COUNTER.items():
        for tags, values in raw_rows(ql, db, utility, field).items():
            t = dict(tags)
            for (_, before), (ts, now) in pairwise(values):
                used = now - before if now >= before else now
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


def stored(ql: InfluxQL, db: str, measurement: str, fields: str) -> dict[tuple, dict]:
    """A rollup measurement keyed like the brute force: (utility, district, dong, bt, ts)."""
    rows = ql.rows(
        f'SELECT {fields} FROM "{measurement}" GROUP BY utility, district, dong, building_type',
        db,
        epoch="ms",
    )
    return {
        (r["utility"], r["district"], r["dong"], r["building_type"], r["time"]): r for r in rows
    }
