"""Counter events (glitch, spike, reset, rollover) settled by the data-quality rule.

The rollups write one `counter_events` point per event (`kind` is a field). An event opens the
meter's alert; more events while it is open are counted in its value, not
announced again; it clears after a `window` without events. So an event is
announced once, however many passes see it.
"""

from __future__ import annotations

from alerts.observation import Observation, Verdict, meter_observation
from alerts.rules import CounterEventRule
from alerts.scope import scope_condition
from alerts.source import Store
from telemetry import influx_schema as s
from telemetry.influxql import quote_ident, quote_literal, tag_eq, time_window


def counter_events(rule: CounterEventRule, store: Store, now_ms: int) -> list[Observation]:
    kinds = " OR ".join(f"{quote_ident(s.TAG_KIND)} = {quote_literal(k)}" for k in rule.events)
    utility = f" AND {tag_eq(s.TAG_UTILITY, rule.utility)}" if rule.utility else ""
    q = (
        f"SELECT count({quote_ident('value')}) FROM {s.rollup_from(s.COUNTER_EVENTS)} "
        f"WHERE {time_window(now_ms - int(rule.window * 1000), now_ms + 1)} AND ({kinds})"
        f"{utility}{scope_condition(rule.scope)} "
        f"GROUP BY {quote_ident(s.TAG_SITE)}, {quote_ident(s.TAG_METER)}"
    )
    counts = {(r[s.TAG_SITE], r[s.TAG_METER]): r["count"] for r in store.rows(q)}
    # Meters without events are not listed: the evaluator clears an open alert
    # that a pass no longer sees (CounterEventRule.absent_is_clear).
    return [
        meter_observation(rule, site, meter, float(n), Verdict.BREACH)
        for (site, meter), n in sorted(counts.items())
        if n
    ]
