"""Operations board: agents, outboxes, failing meters, collector throughput, lag, rejects,
counter events."""

from __future__ import annotations

from dashboards.alert_panels import alert_annotation, alerts_table
from dashboards.datasources import STAFF
from dashboards.influxql import TIME, ident
from dashboards.model import Dashboard, Panel, Target
from telemetry import facility_queries as fq
from telemetry.influx_schema import (
    AGENT_STATUS,
    COLLECTOR_STATS,
    REJECTED,
)

UID = "operations"

LINES = {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10, "spanNulls": True}
STEPS = {"drawStyle": "line", "lineInterpolation": "stepAfter", "lineWidth": 1, "fillOpacity": 10}
BARS = {"drawStyle": "bars", "fillOpacity": 60}
RED_FROM_ONE = {
    "mode": "absolute",
    "steps": [{"color": "green", "value": None}, {"color": "red", "value": 1}],
}

LATEST_PER_AGENT = (
    f'SELECT last("online") AS "online" FROM {ident(AGENT_STATUS)} WHERE {TIME} GROUP BY "agent"'
)


def _agents() -> list[Panel | str]:
    online = Target(f'SELECT sum("online") AS "online" FROM ({LATEST_PER_AGENT})')
    offline = Target(
        f'SELECT count("online") - sum("online") AS "offline" FROM ({LATEST_PER_AGENT})'
    )
    table = Target(fq.agent_table(TIME), table=True)
    return [
        "에이전트 (Edge agents)",
        Panel(
            "온라인 (Agents online)",
            "stat",
            [online],
            width=4,
            decimals=0,
            options={"colorMode": "value", "graphMode": "none"},
        ),
        Panel(
            "오프라인 (Agents offline)",
            "stat",
            [offline],
            width=4,
            decimals=0,
            options={"colorMode": "background", "graphMode": "none"},
            thresholds=RED_FROM_ONE,
            description="Agents whose latest status is offline (their last will, or a clean stop).",
        ),
        Panel(
            "에이전트 목록 (Agents, latest status)",
            "table",
            [table],
            width=16,
            description="One row per agent: state, meters failing, outbox backlog, last error.",
        ),
        Panel(
            "아웃박스 대기 (Outbox depth, batches)",
            "timeseries",
            [
                Target(
                    f'SELECT max("outbox_depth") FROM {ident(AGENT_STATUS)} WHERE {TIME} '
                    'GROUP BY time($__interval), "agent" fill(previous)',
                    alias="$tag_agent",
                )
            ],
            custom=STEPS,
            interval="10s",
            description="Batches held on the site box because the broker has not acknowledged them.",
        ),
        Panel(
            "고장 계량기 (Failing meters)",
            "timeseries",
            [
                Target(
                    f'SELECT max("meters_failing") FROM {ident(AGENT_STATUS)} WHERE {TIME} '
                    'GROUP BY time($__interval), "agent" fill(previous)',
                    alias="$tag_agent",
                )
            ],
            custom=STEPS,
            interval="10s",
        ),
    ]


def _collector() -> list[Panel | str]:
    def rate(field: str, alias: str) -> Target:
        return Target(
            f"SELECT non_negative_derivative(max({ident(field)}), 1s) FROM {ident(COLLECTOR_STATS)} "
            f'WHERE {TIME} GROUP BY time($__interval), "instance"',
            alias=f"{alias} $tag_instance",
        )

    lag = Target(
        f'SELECT max("lag_p50_s") AS "p50", max("lag_p99_s") AS "p99" FROM {ident(COLLECTOR_STATS)} '
        f'WHERE {TIME} GROUP BY time($__interval), "instance" fill(null)',
        alias="$col $tag_instance",
    )
    seq = [
        Target(
            f"SELECT non_negative_difference(max({ident(f)})) FROM {ident(COLLECTOR_STATS)} "
            f'WHERE {TIME} GROUP BY time($__interval), "instance"',
            alias=f"{f} $tag_instance",
        )
        for f in ("seq_gaps", "seq_duplicates")
    ]
    return [
        "수집기 (Collector)",
        Panel(
            "수집 속도 (Ingest rate, per second)",
            "timeseries",
            [
                rate("readings", "readings/s"),
                rate("messages", "messages/s"),
                rate("written", "written/s"),
            ],
            unit="short",
            custom=LINES,
            interval="10s",
        ),
        Panel(
            "지연 (Lag: read time to stored, s)",
            "timeseries",
            [lag],
            unit="s",
            custom=LINES,
            interval="10s",
        ),
        Panel(
            "순번 누락·중복 (Sequence gaps and duplicates)",
            "timeseries",
            seq,
            custom=BARS,
            interval="10s",
            width=24,
            height=6,
            description="Gaps: batches an agent numbered but the cloud never saw (or not yet). "
            "Duplicates: redeliveries, stored once.",
        ),
    ]


def _rejected() -> list[Panel | str]:
    by_reason = Target(
        f'SELECT sum("count") FROM {ident(REJECTED)} WHERE {TIME} '
        'GROUP BY time($__interval), "reason" fill(none)',
        alias="$tag_reason",
    )
    totals = Target(fq.rejected_by_reason(TIME), table=True)
    per_agent = Target(fq.agent_rejected_by_reason(TIME), table=True)
    gaps = Target(fq.agent_seq_gaps(TIME), table=True)
    latest = Target(
        f'SELECT "reason", "topic", "detail" FROM {ident(REJECTED)} WHERE {TIME} '
        "ORDER BY time DESC LIMIT 50",
        table=True,
    )
    return [
        "거부된 메시지 (Rejected messages)",
        Panel(
            "사유별 거부 (Rejected by reason)",
            "timeseries",
            [by_reason],
            custom=BARS,
            interval="10s",
        ),
        Panel("사유별 합계 (Totals by reason)", "table", [totals]),
        Panel(
            "에이전트별 거부 (Rejected per agent, by reason)",
            "table",
            [per_agent],
            description="Messages on an agent's topics that were set aside; a malformed topic or "
            "an agent the registry does not know counts in the totals only.",
        ),
        Panel(
            "에이전트별 순번 누락 (Sequence gaps per agent)",
            "table",
            [gaps],
            description="Batches an agent numbered that no collector saw (or not yet).",
        ),
        Panel(
            "최근 거부 (Latest rejected)",
            "table",
            [latest],
            width=24,
            description="Kept aside with their reason; payloads are in the rejected measurement.",
        ),
    ]


def _counter_events() -> list[Panel | str]:
    latest = Target(fq.counter_events(TIME), table=True)
    return [
        "계량기 카운터 이상 (Counter glitches, spikes, resets)",
        Panel(
            "최근 카운터 이벤트 (Latest counter events)",
            "table",
            [latest],
            width=24,
            description="Readings the rollup settled as a glitch or spike (no consumption) or a "
            "reset or replaced meter (consumption from the new value); per meter and hour "
            "the counts are in meter_consumption_1h (glitches, spikes, resets).",
        ),
    ]


def _alerts() -> list[Panel | str]:
    return ["경보 (Alerts)", alerts_table(None, with_site=True)]


def board() -> Dashboard:
    return Dashboard(
        uid=UID,
        title="운영 현황 (Operations)",
        description="Alerts of every site, edge agents, outboxes, failing meters, collector "
        "ingest, lag, rejects and counter events; alert state changes are marked on the panels.",
        tags=["energy", "operations"],
        panels=[
            *_alerts(),
            *_agents(),
            *_collector(),
            *_rejected(),
            *_counter_events(),
        ],
        annotations=[alert_annotation(None)],
        datasource=STAFF.ref,
        time_from="now-6h",
        refresh="30s",
    )
