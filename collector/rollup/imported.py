"""Imported interval readings → each meter's hours, KST days and KST months.

An interval reading (`<utility>_interval`, the amount in the utility's
consumption field over [start, start + duration_s)) counts

- in `meter_consumption_1h` when it lies within one UTC hour,
- in `meter_consumption_1d` when it lies within one KST day,
- in `meter_consumption_1mo` always: whole in its month, or apportioned by
  time between the months it straddles (a billing period), flagged
  `apportioned`.

Within one meter, overlapping intervals (a finer re-import over coarser
data): the finest (shortest) wins, and a coarser interval overlapping any
kept one is left out whole. A recompute covers whole KST months (those a
marker's span touches), re-reading every interval that overlaps them, and
writes 0 for a point of a previous recompute that no longer has a figure.
Points carry the site the readings were stored under, the household's
district, dong and building type (placement.py), and `source`.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import pairwise

from collector.rollup.aggregate import Output
from collector.rollup.periods import DAY_MS, HOUR_MS, day_of, hour_of
from collector.rollup.placement import Placement
from collector.rollup.source import MeterHour, RawSource
from telemetry.fields import CONSUMPTION_FIELD, Utility
from telemetry.influx_schema import (
    FIELD_APPORTIONED,
    METER_CONSUMPTION_1D,
    METER_CONSUMPTION_1H,
    METER_CONSUMPTION_1MO,
    TAG_BUILDING_TYPE,
    TAG_DISTRICT,
    TAG_DONG,
    TAG_METER,
    TAG_SITE,
    TAG_SOURCE,
    TAG_UTILITY,
)
from telemetry.lineproto import line
from telemetry.months import apportion, month_of, next_month

MAX_INTERVAL_MS = 93 * DAY_MS  # the contract's longest interval
Interval = tuple[int, int, float]  # (start ms, end ms, amount)
Job = tuple[str | None, int, int]  # (site or None: every site, span start, span end) in ms
MEASUREMENTS = (METER_CONSUMPTION_1H, METER_CONSUMPTION_1D, METER_CONSUMPTION_1MO)


def finest_wins(intervals: list[Interval]) -> list[Interval]:
    """The intervals that count, by start: shortest first, each overlapping none kept."""
    ordered = sorted(intervals)
    if all(a[1] <= b[0] for a, b in pairwise(ordered)):
        return ordered  # the usual case: no overlap
    kept: list[Interval] = []  # by start, disjoint
    for iv in sorted(intervals, key=lambda x: (x[1] - x[0], x[0])):
        i = bisect_left(kept, iv)
        if (i > 0 and kept[i - 1][1] > iv[0]) or (i < len(kept) and kept[i][0] < iv[1]):
            continue
        kept.insert(i, iv)
    return kept


@dataclass
class MeterFigures:
    hours: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    days: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    months: dict[int, list] = field(default_factory=dict)  # month → [amount, apportioned]

    def by_measurement(self) -> dict[str, dict[int, tuple[float, int]]]:
        return {
            METER_CONSUMPTION_1H: {t: (v, 0) for t, v in self.hours.items()},
            METER_CONSUMPTION_1D: {t: (v, 0) for t, v in self.days.items()},
            METER_CONSUMPTION_1MO: {t: (v, int(a)) for t, (v, a) in self.months.items()},
        }


def meter_figures(intervals: list[Interval], lo: int, hi: int) -> MeterFigures:
    """One meter's figures in the KST months [lo, hi)."""
    out = MeterFigures()
    for start, end, amount in finest_wins(intervals):
        if lo <= start < hi and hour_of(start) == hour_of(end - 1):
            out.hours[hour_of(start)] += amount
        if lo <= start < hi and day_of(start) == day_of(end - 1):
            out.days[day_of(start)] += amount
        parts = apportion(start, end, amount)
        for month, share in parts:
            if lo <= month < hi:
                acc = out.months.setdefault(month, [0.0, False])
                acc[0] += share
                acc[1] = acc[1] or len(parts) > 1
    return out


class Imports:
    def __init__(self, source: RawSource, placement: Placement) -> None:
        self.source = source
        self.placement = placement

    def recompute(self, jobs: list[Job]) -> tuple[Output, dict[str, list[MeterHour]]]:
        """The meter points of the months each job's span touches, and the figures
        written per measurement (for the group layer)."""
        out = Output()
        figures: dict[tuple[str, str, str, str, int], MeterHour] = {}
        for site, t0, t1 in jobs:
            lo, hi = month_of(t0), next_month(month_of(max(t1 - 1, t0)))
            fresh, seen = self._figures(site, lo, hi, out)
            for key, p in self._gone(site, lo, hi, fresh, seen).items():
                fresh[key] = p
            figures.update(fresh)
        by_measurement: dict[str, list[MeterHour]] = defaultdict(list)
        for (measurement, *_), p in sorted(figures.items()):
            by_measurement[measurement].append(p)
            out.private.extend(self._point(measurement, p))
        return out, dict(by_measurement)

    def _figures(self, site: str | None, lo: int, hi: int, out: Output) -> tuple[dict, dict]:
        """The figures of the interval meters found, and every interval found per meter
        (utility, site, meter)."""
        fresh: dict[tuple[str, str, str, str, int], MeterHour] = {}
        seen: dict[tuple[str, str, str], list[Interval]] = {}
        for utility in Utility:
            found = self.source.intervals(
                utility.value, CONSUMPTION_FIELD[utility], lo - MAX_INTERVAL_MS, hi, site
            )
            for (s, meter), intervals in found.items():
                seen[(utility.value, s, meter)] = intervals
                place = self.placement.imported(s, meter)
                if place is None:
                    out.unknown_sites.add(s)
                    continue
                per = meter_figures(intervals, lo, hi).by_measurement()
                for measurement, values in per.items():
                    for ts, (value, apport) in values.items():
                        key = (measurement, utility.value, s, meter, ts)
                        fresh[key] = MeterHour(
                            utility.value, s, meter, ts, value, 0, 0, 0, place.source, apport
                        )
        return fresh, seen

    def _gone(self, site: str | None, lo: int, hi: int, fresh: dict, seen: dict) -> dict:
        """Zero figures for stored import points in [lo, hi) that the recompute no
        longer has though intervals of their meter overlap them (a finer re-import
        took their place). A point no interval overlaps is not the recompute's (a
        household's imported register: a counter's months, tagged `interval` too)."""
        zeros = {}
        for measurement in MEASUREMENTS:
            for p in self.source.imported_points(measurement, site, lo, hi):
                key = (measurement, p.utility, p.site, p.meter, p.ts)
                found = seen.get((p.utility, p.site, p.meter), [])
                end = _period_end(measurement, p.ts)
                mine = any(start < end and p.ts < stop for start, stop, _a in found)
                if mine and key not in fresh and p.consumption != 0.0:
                    zeros[key] = MeterHour(
                        p.utility, p.site, p.meter, p.ts, 0.0, 0, 0, 0, p.source, 0
                    )
        return zeros

    def _point(self, measurement: str, p: MeterHour) -> list[str]:
        place = self.placement.imported(p.site, p.meter)
        if place is None:
            return []
        info = place.info
        tags = {
            TAG_SITE: p.site,
            TAG_METER: p.meter,
            TAG_UTILITY: p.utility,
            TAG_DISTRICT: info.district,
            TAG_DONG: info.dong,
            TAG_BUILDING_TYPE: info.building_type,
            TAG_SOURCE: p.source,
        }
        fields: dict[str, float | int] = {"consumption": float(p.consumption)}
        if measurement == METER_CONSUMPTION_1MO:
            fields[FIELD_APPORTIONED] = int(p.apportioned)
        return [line(measurement, tags, fields, p.ts)]


def _period_end(measurement: str, ts: int) -> int:
    if measurement == METER_CONSUMPTION_1H:
        return ts + HOUR_MS
    return ts + DAY_MS if measurement == METER_CONSUMPTION_1D else next_month(ts)
