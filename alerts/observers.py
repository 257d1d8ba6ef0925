"""One pass of each rule kind over the private store (InfluxQL), as observations.

Every query is bounded by the pass's own clock (`now_ms`), never InfluxDB's
`now()`, so a pass is repeatable and a test can run a night in a second.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone

from alerts.baseline import spike
from alerts.counter_events import counter_events
from alerts.observation import (
    Observation,
    Verdict,
    agent_originator,
    meter_observation,
    nodata_verdict,
    rule_labels,
)
from alerts.rules import (
    AgentOfflineRule,
    CounterEventRule,
    DataQualityRule,
    LeakRule,
    LimitRule,
    RuleBase,
    SolarDarkRule,
    SpikeRule,
    StaleRule,
    ThresholdRule,
)
from alerts.scope import scope_condition, scoped_agents, scoped_meters
from alerts.solar_dark import solar_dark
from alerts.source import Store
from telemetry import influx_schema as s
from telemetry.fields import CONSUMPTION_FIELD, RATE_FIELD, Utility
from telemetry.influxql import quote_ident, time_window

KST = timezone(timedelta(hours=9))
MIN_LOOKBACK_MS = 3_600_000
__all__ = ["Store", "night", "observe"]


def observe(rule: RuleBase, store: Store, now_ms: int) -> list[Observation]:
    if isinstance(rule, StaleRule):
        return stale(rule, store, now_ms)
    if isinstance(rule, AgentOfflineRule):
        return agent_offline(rule, store, now_ms)
    if isinstance(rule, ThresholdRule):
        field = rule.field or RATE_FIELD[rule.utility]
        window = (now_ms - int(rule.window * 1000), now_ms + 1)
        return _per_meter(rule, store, "mean", rule.utility, field, window)
    if isinstance(rule, LeakRule):
        return _per_meter(rule, store, "min", rule.utility, rule.field, night(rule, now_ms))
    if isinstance(rule, DataQualityRule):
        return data_quality(rule, store, now_ms)
    if isinstance(rule, SpikeRule):
        return spike(rule, store, now_ms)
    if isinstance(rule, SolarDarkRule):
        return solar_dark(rule, store, now_ms)
    if isinstance(rule, CounterEventRule):
        return counter_events(rule, store, now_ms)
    raise TypeError(f"no observer for {type(rule).__name__}")


def stale(rule: StaleRule, store: Store, now_ms: int) -> list[Observation]:
    meters = [(st, m) for st, m in scoped_meters(rule.scope, store.registry)
              if rule.utility in (None, m.utility)]  # fmt: skip
    limits = {(st.id, m.id): rule.factor * m.poll_interval_s * 1000 for st, m in meters}
    lookback = max([MIN_LOOKBACK_MS, *(10 * v for v in limits.values())])
    last: dict[tuple[str, str], int] = {}
    for utility in sorted({m.utility for _, m in meters}):
        field = CONSUMPTION_FIELD[Utility(utility)]
        q = (
            f"SELECT last({quote_ident(field)}) FROM {quote_ident(utility)} "
            f"WHERE {time_window(now_ms - lookback, now_ms + 1)}{scope_condition(rule.scope)} "
            f"GROUP BY {quote_ident(s.TAG_SITE)}, {quote_ident(s.TAG_METER)}"
        )
        for row in store.rows(q):
            last[(row[s.TAG_SITE], row[s.TAG_METER])] = int(row["time"])
    out = []
    for (site, meter), limit_ms in limits.items():
        seen = last.get((site, meter))
        if seen is None:
            value, verdict = None, nodata_verdict(rule.nodata)
        else:
            age = now_ms - seen
            value, verdict = age / 1000, Verdict.BREACH if age > limit_ms else Verdict.CLEAR
        out.append(meter_observation(rule, site, meter, value, verdict))
    return out


def agent_offline(rule: AgentOfflineRule, store: Store, now_ms: int) -> list[Observation]:
    agents = scoped_agents(rule.scope, store.registry)
    lookback = max(MIN_LOOKBACK_MS, int(rule.silent_for * 4000))
    q = (
        f'SELECT last("state") FROM {quote_ident(s.AGENT_STATUS)} '
        f"WHERE {time_window(now_ms - lookback, now_ms + 1)} GROUP BY {quote_ident(s.TAG_AGENT)}"
    )
    last = {row[s.TAG_AGENT]: (int(row["time"]), row["last"]) for row in store.rows(q)}
    out = []
    for site, agent in agents:
        seen = last.get(agent.id)
        if seen is None:
            value, verdict = None, nodata_verdict(rule.nodata)
        else:
            age_s = (now_ms - seen[0]) / 1000
            silent = seen[1] == "offline" or age_s > rule.silent_for
            value, verdict = age_s, Verdict.BREACH if silent else Verdict.CLEAR
        labels = {**rule_labels(rule, site.id), s.TAG_AGENT: agent.id}
        out.append(Observation(agent_originator(agent.id), site.id, value, verdict, labels))
    return out


def data_quality(rule: DataQualityRule, store: Store, now_ms: int) -> list[Observation]:
    utilities = [rule.utility] if rule.utility else list(Utility)
    window = time_window(now_ms - int(rule.window * 1000), now_ms + 1)
    counts: dict[tuple[str, str], list[float]] = {}
    for utility in utilities:
        q = (
            f"SELECT count(*) FROM {quote_ident(utility)} WHERE {window}"
            f"{scope_condition(rule.scope)} GROUP BY "
            + ", ".join(quote_ident(t) for t in (s.TAG_SITE, s.TAG_METER, s.TAG_QUALITY))
        )
        for row in store.rows(q):
            n = max((v for k, v in row.items() if k.startswith("count_") and v), default=0)
            tally = counts.setdefault((row[s.TAG_SITE], row[s.TAG_METER]), [0.0, 0.0])
            tally[0] += n if row[s.TAG_QUALITY] == "bad" else 0
            tally[1] += n
    values = {key: bad / total for key, (bad, total) in counts.items() if total}
    return _judge(rule, store, values, utilities)


def night(rule: LeakRule, now_ms: int) -> tuple[int, int]:
    """The last complete night window (KST) before now: its minimum flow is the test."""
    end_min, length = rule.night_minutes
    now = datetime.fromtimestamp(now_ms / 1000, UTC).astimezone(KST)
    end = now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(minutes=end_min)
    if end > now:
        end -= timedelta(days=1)
    start = end - timedelta(minutes=length)
    return int(start.timestamp() * 1000), int(end.timestamp() * 1000)


def _per_meter(
    rule: LimitRule, store: Store, fn: str, utility: Utility, field: str, window: tuple[int, int]
) -> list[Observation]:
    q = (
        f"SELECT {fn}({quote_ident(field)}) FROM {quote_ident(utility)} "
        f"WHERE {time_window(*window)}{scope_condition(rule.scope)} "
        f"GROUP BY {quote_ident(s.TAG_SITE)}, {quote_ident(s.TAG_METER)}"
    )
    values = {
        (row[s.TAG_SITE], row[s.TAG_METER]): row[fn]
        for row in store.rows(q)
        if row.get(fn) is not None
    }
    return _judge(rule, store, values, [utility])


def _judge(
    rule: LimitRule,
    store: Store,
    values: dict[tuple[str, str], float],
    utilities: Iterable[Utility],
) -> list[Observation]:
    """Each stored meter judged against the limit; registry meters without data are NoData."""
    wanted = {u.value for u in utilities}
    keys = set(values) | {
        (site.id, m.id) for site, m in scoped_meters(rule.scope, store.registry)
        if m.utility in wanted
    }  # fmt: skip
    out = []
    for site, meter in sorted(keys):
        value = values.get((site, meter))
        if value is None:
            verdict = nodata_verdict(rule.nodata)
        elif rule.breaches(value):
            verdict = Verdict.BREACH
        else:
            verdict = Verdict.CLEAR if rule.clears(value) else Verdict.BAND
        out.append(meter_observation(rule, site, meter, value, verdict))
    return out
