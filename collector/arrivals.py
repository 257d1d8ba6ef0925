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

Beside each marker, a `handed_readings` point (same instance and time, in
the short retention policy `handed`) hands the rollup the good readings the
marker stands for (`stored`: per utility and meter, each reading's time,
counter and rate), so that a regular pass takes its new readings from there
instead of asking InfluxDB for every meter's readings since the last pass:
that query visits every series of the city, and its cost grew with the
city, not with what arrived (deploy/SCALING.md). A marker whose readings
were not all stored, or would exceed STORED_MAX_CHARS, has none; the rollup
then reads the store.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from telemetry import influx_schema as s
from telemetry.lineproto import line

STORED_MAX_CHARS = 16_000  # InfluxDB 1.x keeps string fields up to 64 KB
# (utility, meter, time ms, counter, rate) of one good point reading
Handed = tuple[str, str, int, float | None, float | None]


@dataclass
class Span:
    t0_ms: int
    t1_ms: int
    readings: int = 0
    # The good readings handed to the rollup; None: not carried (see the module's doc).
    handed: list[Handed] | None = None

    def add(self, ts_ms: int, n: int = 1) -> None:
        self.t0_ms = min(self.t0_ms, ts_ms)
        self.t1_ms = max(self.t1_ms, ts_ms)
        self.readings += n

    def stored(self) -> str | None:
        """The handed readings as the marker's `stored` field, or None if not carried."""
        if self.handed is None:
            return None
        by: dict[str, dict[str, list[list[float | int | None]]]] = {}
        for utility, meter, t, counter, rate in self.handed:
            by.setdefault(utility, {}).setdefault(meter, []).append([t, counter, rate])
        text = json.dumps(by, separators=(",", ":"))
        return text if len(text) <= STORED_MAX_CHARS else None


@dataclass
class Arrivals:
    """Per site, the span of reading times in one write batch."""

    sites: dict[str, Span] = field(default_factory=dict)

    def add(self, site: str, reading_ts_ms: list[int], handed: list[Handed] | None = None) -> None:
        """handed: the good readings among them (None: not known, the marker carries none)."""
        if not reading_ts_ms:
            return
        lo, hi = min(reading_ts_ms), max(reading_ts_ms)
        span = self.sites.get(site)
        if span is None:
            span = self.sites[site] = Span(lo, hi, len(reading_ts_ms), [])
        else:
            span.add(lo, 0)
            span.add(hi, len(reading_ts_ms))
        if handed is None or span.handed is None:
            span.handed = None
        else:
            span.handed.extend(handed)

    def drop_handed(self) -> None:
        """Not every reading was stored: no marker may hand over readings."""
        for span in self.sites.values():
            span.handed = None

    def lines(self, instance: str, stamp_ns: list[int]) -> list[str]:
        """One marker per site, with its handed readings; `stamp_ns` gives each its own
        arrival time (ns)."""
        return [
            x
            for (site, span), ns in zip(sorted(self.sites.items()), stamp_ns, strict=True)
            for x in markers(instance, site, span, ns)
        ]


def markers(instance: str, site: str, span: Span, at_ns: int) -> list[str]:
    """The `arrivals` point and, if the span carries them, its `handed_readings` point."""
    out = [marker(instance, site, span, at_ns)]
    stored = span.stored()
    if stored is not None:
        out.append(line(s.HANDED, {s.TAG_INSTANCE: instance}, {"stored": stored}, at_ns))
    return out


def marker(instance: str, site: str, span: Span, at_ns: int) -> str:
    """One `arrivals` point (ns precision)."""
    fields: dict[str, str | int | float] = {
        "site": site,
        "t0_ms": int(span.t0_ms),
        "t1_ms": int(span.t1_ms),
        "readings": int(span.readings),
    }
    return line(s.ARRIVALS, {s.TAG_INSTANCE: instance}, fields, at_ns)
