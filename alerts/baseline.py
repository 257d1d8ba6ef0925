"""Spike vs baseline: an hour's consumption against the same hour of the week before.

Reads the rollups' `meter_consumption_1h` (consumption per meter per hour,
counter resets and glitches already handled), so a counter glitch can never
look like a spike. The hour judged is the last complete one, `settle` after
its end so that the rollup has seen it; every pass of that hour judges the
same figure, so a spike fires once, not every pass.
"""

from __future__ import annotations

import statistics

from alerts.observation import Observation, Verdict, meter_observation, nodata_verdict
from alerts.rules import SpikeRule
from alerts.scope import scope_condition, scoped_meters
from alerts.source import Store
from telemetry import influx_schema as s
from telemetry.influxql import quote_ident, tag_eq

HOUR_MS = 3_600_000
WEEK_MS = 7 * 24 * HOUR_MS


def last_hour(rule: SpikeRule, now_ms: int) -> int:
    settled = now_ms - int(rule.settle * 1000)
    return settled - settled % HOUR_MS - HOUR_MS


def spike(rule: SpikeRule, store: Store, now_ms: int) -> list[Observation]:
    hour = last_hour(rule, now_ms)
    statements = [
        f"SELECT {quote_ident('consumption')} FROM {s.rollup_from(s.METER_CONSUMPTION_1H)} "
        f"WHERE time = {hour - week * WEEK_MS}ms AND {tag_eq(s.TAG_UTILITY, rule.utility)}"
        f"{scope_condition(rule.scope)} GROUP BY {quote_ident(s.TAG_SITE)}, {quote_ident(s.TAG_METER)}"
        for week in range(rule.weeks + 1)
    ]
    per_week = store.ql.query(";".join(statements), store.bucket, epoch="ms")
    values: dict[tuple[str, str], dict[int, float]] = {}
    for week, series_list in enumerate(per_week):
        for series in series_list:
            key = (series.tags[s.TAG_SITE], series.tags[s.TAG_METER])
            for row in series.rows():
                if row.get("consumption") is not None:
                    values.setdefault(key, {})[week] = float(row["consumption"])
    keys = set(values) | {
        (site.id, m.id)
        for site, m in scoped_meters(rule.scope, store.registry)
        if m.utility == rule.utility
    }
    return [
        _judge(rule, site, meter, values.get((site, meter), {})) for site, meter in sorted(keys)
    ]


def baseline_limit(rule: SpikeRule, history: list[float]) -> float | None:
    """median + max(k × MAD, min_excess); None until `min_weeks` of history exist."""
    if len(history) < rule.min_weeks:
        return None
    median = statistics.median(history)
    mad = statistics.median(abs(x - median) for x in history)
    return median + max(rule.k * mad, rule.min_excess)


def _judge(rule: SpikeRule, site: str, meter: str, weeks: dict[int, float]) -> Observation:
    current = weeks.get(0)
    if current is None:
        return meter_observation(rule, site, meter, None, nodata_verdict(rule.nodata))
    limit = baseline_limit(rule, [v for week, v in weeks.items() if week > 0])
    # Too little history is no evidence either way: not a spike.
    verdict = Verdict.BREACH if limit is not None and current > limit else Verdict.CLEAR
    return meter_observation(rule, site, meter, current, verdict)
