"""One window's rollups: live per minute, consumption per hour and per day."""

from __future__ import annotations

from collections import defaultdict

from collector.rollup.aggregate import Output, aggregate, group_points
from collector.rollup.counters import Usage, Window, usage_by_period
from collector.rollup.groups import SiteInfo
from collector.rollup.periods import DAY_MS, day_of, days_touching, hour_of
from collector.rollup.source import RawSource
from telemetry.counters import K, Settled, max_rate_per_h
from telemetry.emissions import EmissionFactors
from telemetry.fields import CONSUMPTION_FIELD, RATE_FIELD, Utility
from telemetry.influx_schema import (
    CONSUMPTION_1D,
    CONSUMPTION_1H,
    COUNTER_EVENTS,
    LIVE_1M,
    METER_CONSUMPTION_1D,
    METER_CONSUMPTION_1H,
    TAG_BUILDING_TYPE,
    TAG_DISTRICT,
    TAG_DONG,
    TAG_FIELD,
    TAG_METER,
    TAG_SITE,
    TAG_UTILITY,
)
from telemetry.lineproto import line

MeterUsage = dict[tuple[str, str, str, int], Usage]  # (utility, site, meter, period) → usage
MeterEvents = list[tuple[str, str, str, str, Settled]]  # (utility, site, meter, field, event)

# Readings read before a window: enough that a glitch among them cannot
# mislead the level at the start (K in line after any suspect settle it).
CONTEXT_BEFORE = 2 * K + 2


class Computer:
    def __init__(
        self,
        source: RawSource,
        sites: dict[str, SiteInfo],
        factors: EmissionFactors,
        k: int,
        bridge_ms: int,
    ) -> None:
        self.source = source
        self.sites = sites
        self.factors = factors
        self.k = k
        self.bridge_ms = bridge_ms

    def live(self, start_ms: int, end_ms: int) -> Output:
        """live_1m: per minute, the sum of each meter's latest rate and how many reported."""
        items = []
        for utility in Utility:
            rows = self.source.latest_rates(utility, RATE_FIELD[utility], start_ms, end_ms)
            items.extend((utility.value, site, minute, value) for site, _m, minute, value in rows)
        cells, unknown = aggregate(items, self.sites)
        out = group_points(LIVE_1M, cells, self.k, lambda _u, total: {"rate": total})
        out.unknown_sites |= unknown
        return out

    def meter_hours(self, start_ms: int, end_ms: int) -> tuple[MeterUsage, MeterEvents]:
        """Per meter and hour in [start, end) (start on an hour), from counter differences.

        Readings before the window set the level at its start; up to K after
        it settle its last suspect readings (a catch-up chunk ending before now).
        """
        usage: MeterUsage = {}
        events: MeterEvents = []
        window = Window(start_ms, end_ms)
        for utility in Utility:
            field = CONSUMPTION_FIELD[utility]
            for (site, meter), series in self._counter_series(utility, field, window).items():
                rate = max_rate_per_h(utility, field)
                per_hour, found = usage_by_period(series, hour_of, rate, window)
                for hour, u in per_hour.items():
                    usage[(utility.value, site, meter, hour)] = u
                events.extend((utility.value, site, meter, field, e) for e in found)
        return usage, events

    def _counter_series(
        self, utility: Utility, field: str, window: Window
    ) -> dict[tuple[str, str], list[tuple[int, float]]]:
        """Per meter: context before, the window's readings, context after."""
        src, start, end = self.source, window.start_ms, window.end_ms
        inside = src.counter_readings(utility, field, start, end)
        before = src.counter_context(
            utility, field, start - self.bridge_ms, start, CONTEXT_BEFORE, True
        )
        after = src.counter_context(utility, field, end, end + self.bridge_ms, K, False)
        return {
            key: before.get(key, []) + series + after.get(key, []) for key, series in inside.items()
        }

    def consumption(self, measurement: str, meter_measurement: str, usage: MeterUsage) -> Output:
        """Per-meter points (private) and per-group points with CO2e."""
        out = Output()
        for (utility, site, meter, ts), u in sorted(usage.items()):
            info = self.sites.get(site)
            if info is None:
                out.unknown_sites.add(site)
                continue
            out.private.append(_meter_point(meter_measurement, utility, info, meter, ts, u))
        items = ((u, s, ts, v.consumption) for (u, s, _m, ts), v in usage.items())
        cells, unknown = aggregate(items, self.sites)
        out.extend(group_points(measurement, cells, self.k, self._consumption_fields))
        out.unknown_sites |= unknown
        return out

    def days(self, start_ms: int, end_ms: int) -> MeterUsage:
        """Per meter and KST day, summed from the stored hourly meter points."""
        days = days_touching(start_ms, end_ms)
        usage: MeterUsage = defaultdict(Usage)
        for h in self.source.meter_hours(days[0], days[-1] + DAY_MS):
            day = usage[(h.utility, h.site, h.meter, day_of(h.ts))]
            day.add(Usage(h.consumption, h.resets, h.glitches, h.spikes))
        return dict(usage)

    def hourly(self, start_ms: int, end_ms: int, live_from_ms: int) -> Output:
        """consumption_1h for [start, end) (start on an hour); live_1m for [live_from, end)."""
        out = self.live(live_from_ms, end_ms) if live_from_ms < end_ms else Output()
        usage, events = self.meter_hours(start_ms, end_ms)
        out.extend(self.consumption(CONSUMPTION_1H, METER_CONSUMPTION_1H, usage))
        out.private.extend(_event_point(*e) for e in events)
        return out

    def daily(self, start_ms: int, end_ms: int) -> Output:
        """consumption_1d of every KST day touching [start, end); run after hourly is stored."""
        return self.consumption(CONSUMPTION_1D, METER_CONSUMPTION_1D, self.days(start_ms, end_ms))

    def _consumption_fields(self, utility: str, total: float) -> dict[str, float]:
        return {"consumption": total, "co2e_kg": self.factors.kg(utility, total)}


def _meter_point(
    measurement: str, utility: str, info: SiteInfo, meter: str, ts: int, u: Usage
) -> str:
    tags = {
        TAG_SITE: info.site,
        TAG_METER: meter,
        TAG_UTILITY: utility,
        TAG_DISTRICT: info.district,
        TAG_DONG: info.dong,
        TAG_BUILDING_TYPE: info.building_type,
    }
    fields: dict[str, float | int] = {
        "consumption": float(u.consumption),
        "resets": int(u.resets),
        "glitches": int(u.glitches),
        "spikes": int(u.spikes),
    }
    if measurement == METER_CONSUMPTION_1H:
        fields["pending"] = int(u.pending)
    return line(measurement, tags, fields, ts)


def _event_point(utility: str, site: str, meter: str, field: str, e: Settled) -> str:
    """One point per event; the same reading settled again overwrites it."""
    tags = {TAG_SITE: site, TAG_METER: meter, TAG_UTILITY: utility, TAG_FIELD: field}
    values = {
        "kind": e.kind.value,
        "value": float(e.value),
        "previous": float(e.previous),
        "amount": float(e.amount),
    }
    return line(COUNTER_EVENTS, tags, values, e.ts)
