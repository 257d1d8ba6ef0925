"""The checks and lines of `energy.readings.v2` interval and cost readings.

An interval reading is stored in `<utility>_interval`, a cost reading in
`utility_cost` (telemetry/influx_schema.py), each at its interval's start with
`duration_s`, so a re-published period overwrites itself. Imported history is
old by nature, so intervals are not held to `max_age_s` (which guards against
an edge agent's wrong clock): only an end in the future and a start before
`EARLIEST` (a unix-zero or unit mistake) are refused. Two readings of one meter
in one message whose periods overlap are refused too: the second would
silently overwrite or double-count the first.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from itertools import pairwise

from collector.reasons import Reason
from collector.verdict import Rejected
from telemetry import influx_schema as s
from telemetry.lineproto import line
from telemetry.readings_v2 import CostReading, IntervalReading

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
Span = IntervalReading | CostReading


def implausible_span(
    spans: list[tuple[int, Span]], now: float, max_future_s: float
) -> Rejected | None:
    """The first interval that ends in the future or starts before EARLIEST, as a rejection."""
    for i, r in spans:
        end = r.interval.end.timestamp()
        if end > now + max_future_s:
            return Rejected(
                Reason.TS_FUTURE,
                f"readings[{i}].interval.end {r.interval.end.isoformat()} "
                f"is {end - now:.0f} s in the future",
            )
        if r.interval.start < EARLIEST:
            return Rejected(
                Reason.TS_TOO_OLD,
                f"readings[{i}].interval.start {r.interval.start.isoformat()} "
                f"is before {EARLIEST.date().isoformat()}",
            )
    return None


def overlapping(spans: list[tuple[int, Span]]) -> Rejected | None:
    """Two periods of one meter, utility and kind that overlap in one message."""
    by_series: dict[tuple[str, str, str], list[tuple[int, Span]]] = defaultdict(list)
    for i, r in spans:
        by_series[(r.meter, r.utility.value, type(r).__name__)].append((i, r))
    for (meter, utility, _), items in by_series.items():
        items.sort(key=lambda item: item[1].interval.start)
        for (i, a), (j, b) in pairwise(items):
            if b.interval.start < a.interval.end:
                return Rejected(
                    Reason.BAD_INTERVAL,
                    f"readings[{j}].interval ({b.interval.start.isoformat()}) overlaps "
                    f"readings[{i}].interval (ends {a.interval.end.isoformat()}) "
                    f"of meter {meter!r} ({utility})",
                )
    return None


def span_fields(r: Span) -> tuple[str, dict[str, float]]:
    """Measurement and fields of one interval or cost reading."""
    duration = r.interval.duration_s
    if isinstance(r, CostReading):
        return s.UTILITY_COST, {s.FIELD_COST_KRW: r.cost_krw, s.FIELD_DURATION_S: duration}
    return s.interval_measurement(r.utility.value), {**r.values, s.FIELD_DURATION_S: duration}


def arrival_line(site: str, agent: str, spans: list[tuple[int, Span]], now: float) -> str:
    """A marker of the past the rollups must revisit: the span this message's intervals cover."""
    start = min(r.interval.start for _, r in spans)
    end = max(r.interval.end for _, r in spans)
    fields = {
        "start_ms": float(_ms(start.timestamp())),
        "end_ms": float(_ms(end.timestamp())),
        "readings": float(len(spans)),
    }
    return line(s.INTERVAL_ARRIVALS, {s.TAG_SITE: site, s.TAG_AGENT: agent}, fields, _ms(now))


def _ms(t: float) -> int:
    return round(t * 1000)
