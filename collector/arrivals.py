"""Arrival markers: which sites' readings a write stored, and when.

InfluxDB keeps no arrival order: a reading replayed from an outbox hours late
is stored under its own (old) timestamp, indistinguishable from one stored on
time. So the collector, after a batch of readings is stored, writes one
`arrivals` point per site of the batch, timestamped with the time of storing
(ns, strictly increasing per collector, tagged with the collector's
instance) and carrying the oldest and newest reading time. The rollup reads
the markers that arrived since its last pass and recomputes only those
sites' meters around those times (collector/rollup/touched.py).

The marker is written after its readings, so a reader that sees the marker
also sees the readings. Both the collector and the rollup (and tests or
benches that write readings themselves) build markers here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from telemetry import influx_schema as s
from telemetry.lineproto import line


@dataclass
class Span:
    t0_ms: int
    t1_ms: int
    readings: int = 0

    def add(self, ts_ms: int, n: int = 1) -> None:
        self.t0_ms = min(self.t0_ms, ts_ms)
        self.t1_ms = max(self.t1_ms, ts_ms)
        self.readings += n


@dataclass
class Arrivals:
    """Per site, the span of reading times in one write batch."""

    sites: dict[str, Span] = field(default_factory=dict)

    def add(self, site: str, reading_ts_ms: list[int]) -> None:
        if not reading_ts_ms:
            return
        lo, hi = min(reading_ts_ms), max(reading_ts_ms)
        span = self.sites.get(site)
        if span is None:
            self.sites[site] = Span(lo, hi, len(reading_ts_ms))
        else:
            span.add(lo, 0)
            span.add(hi, len(reading_ts_ms))

    def lines(self, instance: str, stamp_ns: list[int]) -> list[str]:
        """One marker per site; `stamp_ns` gives each its own arrival time (ns)."""
        return [
            marker(instance, site, span, ns)
            for (site, span), ns in zip(sorted(self.sites.items()), stamp_ns, strict=True)
        ]


def marker(instance: str, site: str, span: Span, at_ns: int) -> str:
    """One `arrivals` point (ns precision)."""
    fields: dict[str, str | int | float] = {
        "site": site,
        "t0_ms": int(span.t0_ms),
        "t1_ms": int(span.t1_ms),
        "readings": int(span.readings),
    }
    return line(s.ARRIVALS, {s.TAG_INSTANCE: instance}, fields, at_ns)
