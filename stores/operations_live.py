"""The operators' fleet figures for `/operations`, from the private bucket, through the queries
the Grafana operations board runs (telemetry/facility_queries.py).

An agent is `online` when its latest status says so and that status is fresh (agents
refresh their retained status every `status_interval_s`, 30 s by default); `offline` when
its latest status says offline (a clean stop, or the broker's last will once the agent's
keep-alive lapsed), `silent` when its last status is older than SILENT_AFTER_S (the status
stopped coming without a last will: a broker or collector problem), `unknown` when it never
reported.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from stores.facility_live import stale_after
from stores.influx import PrivateStore
from telemetry import facility_queries as fq
from telemetry.influxql import time_window
from telemetry.registry import Registry

# Three missed refreshes of the default 30 s status interval (and never under two minutes).
SILENT_AFTER_S = 120.0
STATUS_LOOKBACK_MS = 30 * 86_400_000
SEEN_LOOKBACK_MS = 86_400_000
HOUR_MS = 3_600_000


@dataclass
class AgentRow:
    site: str
    agent: str
    state: str  # online, offline, silent, unknown
    status_ms: int | None = None
    status_age_s: float | None = None
    last_batch_ms: int | None = None
    last_batch_age_s: float | None = None
    outbox_depth: int | None = None
    outbox_oldest_s: float | None = None
    dropped: int | None = None
    meters_failing: int | None = None
    failing: str = ""
    last_error: str = ""
    silent_meters: list[str] = field(default_factory=list)
    meters: int = 0
    seq_gaps_hour: int = 0
    rejected_hour: dict[str, int] = field(default_factory=dict)  # reason -> messages

    @property
    def down(self) -> bool:
        return self.state != "online"


@dataclass
class Fleet:
    at_ms: int
    agents: list[AgentRow]
    rejected: dict[str, int]  # reason -> messages in the last hour
    collectors: list[dict[str, Any]]  # per instance: latest counters, lag, growth last hour

    @property
    def offline(self) -> int:
        return sum(1 for a in self.agents if a.down)


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def fleet(store: PrivateStore, registry: Registry, now_ms: int | None = None) -> Fleet:
    now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
    until = now_ms + 60_000
    status = {
        (r.get("site", ""), r.get("agent", "")): r
        for r in store.rows(fq.agent_table(time_window(now_ms - STATUS_LOOKBACK_MS, until)))
    }
    seen: dict[tuple[str, str], int] = {}
    window = time_window(now_ms - SEEN_LOOKBACK_MS, until)
    counters: dict[str, list[str]] = {}
    for utility, counter in fq.COUNTERS.items():
        counters.setdefault(counter, []).append(utility)
    for counter, names in counters.items():
        for s in store.series(fq.meters_last_seen(counter, names, window)):
            for row in s.rows():
                key = (s.tags.get("site", ""), s.tags.get("meter", ""))
                seen[key] = max(seen.get(key, 0), int(row["time"]))
    # The status query picks each field's last value, so its time is not the status's:
    # the latest status time is asked for on its own.
    status_times = {
        (r.get("site", ""), r.get("agent", "")): int(r["time"])
        for r in store.rows(fq.agent_status_time(time_window(now_ms - STATUS_LOOKBACK_MS, until)))
    }
    rows = []
    keys = {(s.id, a.id) for s in registry.sites.values() for a in s.agents} | set(status)
    for site_id, agent_id in sorted(keys):
        st = status.get((site_id, agent_id))
        site = registry.sites.get(site_id)
        agent = next((a for a in site.agents if a.id == agent_id), None) if site else None
        meters = agent.meters if agent is not None else []
        last_seen = [seen[(site_id, m.id)] for m in meters if (site_id, m.id) in seen]
        silent = [
            m.id
            for m in meters
            if (site_id, m.id) not in seen
            or (now_ms - seen[(site_id, m.id)]) / 1000 > stale_after(m.poll_interval_s)
        ]
        row = AgentRow(site_id, agent_id, "unknown", silent_meters=silent, meters=len(meters))
        if last_seen:
            row.last_batch_ms = max(last_seen)
            row.last_batch_age_s = max(0.0, (now_ms - row.last_batch_ms) / 1000)
        if st is not None:
            t = status_times.get((site_id, agent_id))
            row.status_ms = t
            row.status_age_s = max(0.0, (now_ms - t) / 1000) if t is not None else None
            said = str(st.get("state") or "")
            if said != "online":
                row.state = "offline"
            elif row.status_age_s is not None and row.status_age_s > SILENT_AFTER_S:
                row.state = "silent"
            else:
                row.state = "online"
            depth, dropped, failing = (
                _num(st.get("outbox_depth")),
                _num(st.get("dropped")),
                _num(st.get("meters_failing")),
            )
            row.outbox_depth = int(depth) if depth is not None else None
            row.outbox_oldest_s = _num(st.get("oldest_s"))
            row.dropped = int(dropped) if dropped is not None else None
            row.meters_failing = int(failing) if failing is not None else None
            row.failing = str(st.get("failing") or "")
            row.last_error = str(st.get("last_error") or "")
        rows.append(row)
    hour = time_window(now_ms - HOUR_MS, until)
    _add_agent_hour(store, hour, rows)
    rejected = {
        str(r.get("reason", "")): int(r.get("count") or 0)
        for r in store.rows(fq.rejected_by_reason(hour))
    }
    growth = {r.get("instance", ""): r for r in store.rows(fq.collector_growth(hour))}
    collectors = []
    for r in store.rows(fq.collector_latest(hour)):
        instance = r.get("instance", "")
        g = growth.get(instance, {})
        collectors.append(
            {
                "instance": instance,
                "lag_p50_s": _num(r.get("lag_p50_s")),
                "lag_p99_s": _num(r.get("lag_p99_s")),
                **{f"{c}_hour": int(g.get(c) or 0) for c in fq.COLLECTOR_COUNTERS},
            }
        )
    return Fleet(now_ms, rows, rejected, sorted(collectors, key=lambda c: c["instance"]))


def _add_agent_hour(store: PrivateStore, hour: str, rows: list[AgentRow]) -> None:
    """Each agent's sequence gaps and rejected messages by reason in the hour (the collectors'
    per-agent figures; a message no agent can be named for is in the fleet's totals only)."""
    by_agent = {(r.site, r.agent): r for r in rows}
    for g in store.rows(fq.agent_seq_gaps(hour)):
        row = by_agent.get((g.get("site", ""), g.get("agent", "")))
        if row is not None:
            row.seq_gaps_hour = int(g.get("seq_gaps") or 0)
    for r in store.rows(fq.agent_rejected_by_reason(hour)):
        row = by_agent.get((r.get("site", ""), r.get("agent", "")))
        if row is not None and r.get("reason") and r.get("count"):
            row.rejected_hour[str(r["reason"])] = int(r["count"])
