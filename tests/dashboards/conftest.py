"""The real pipeline for the dashboard tests: simulators -> agents -> broker -> collector -> rollup
-> one `alerts` pass (its state changes are the boards' alert table and annotations).

Module-scoped: one run feeds every panel query. The only points not made by
the pipeline are last year's daily rollups (a run cannot produce a year of
history); they are written in the rollup's exact schema and named as such.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from influxdb_client import InfluxDBClient, Point, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS
from paho.mqtt.enums import CallbackAPIVersion

from dashboards.interpolate import ZONE, years_back
from devstack import InfluxServer, MosquittoServer
from devstack.platform import Platform
from devstack.ports import shifted_config
from telemetry.db.migrate import upgrade
from telemetry.influx_schema import CONSUMPTION_1D, GROUP_ALL
from telemetry.influxql import InfluxQL
from telemetry.paths import PROJECT_ROOT
from telemetry.registry import AgentKind, Registry, load_registry
from telemetry.topics import readings_topic
from tests.support.processes import run_module

DEMO = PROJECT_ROOT / "config" / "sites" / "demo.yaml"
FILL_DEADLINE_S = 60.0
READINGS_PER_METER = 3  # two intervals of consumption at the slowest (10 s) poll
# A rule every metered electricity site breaks at once: each fires in the one pass.
POWER_ON_RULE = """\
rules:
  - {id: power-on, kind: threshold, severity: warning, utility: electricity, above: 0,
     window: 15m, pending: 0s, nodata: ok}
"""


@dataclass
class Run:
    ql: InfluxQL
    raw: str
    public: str
    registry: Registry
    rejected_sent: int


def _publish_garbage(url: str, registry: Registry) -> int:
    """Malformed batches on a real agent's topic, so the rejected panels have something."""
    host, port = url.removeprefix("mqtt://").split(":")
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.connect(host, int(port))
    client.loop_start()
    site = next(iter(registry.sites.values()))
    topic = readings_topic(site.id, site.agents[0].id)
    payloads = [b"not json", b'{"schema": "energy.readings.v1"}']
    for payload in payloads:
        client.publish(topic, payload, qos=1).wait_for_publish(10)
    client.disconnect()
    client.loop_stop()
    return len(payloads)


GLITCH_METER = "board-glitch"
GAP_SEQ = 100_000


def _publish_glitch(url: str, registry: Registry) -> None:
    """A meter whose counter reads 0 once, so the counter events panel has an event; a seq
    gap of its agent."""
    host, port = url.removeprefix("mqtt://").split(":")
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.connect(host, int(port))
    client.loop_start()
    # The last site: the facility board's site variable picks the first one.
    site = registry.sites[max(registry.sites)]
    now = datetime.now(UTC).replace(microsecond=0)
    values = [100.0, 100.5, 0.0, 101.5, 102.0]
    readings = [
        {
            "meter": GLITCH_METER,
            "utility": "electricity",
            "ts": (now - timedelta(minutes=len(values) - i)).isoformat(),
            "values": {"energy_kwh": v},
            "quality": "good",
        }
        for i, v in enumerate(values)
    ]
    topic = readings_topic(site.id, site.agents[0].id)
    # In two batches with a seq skipped between them, so the per-agent gaps panel has one
    # (far past the agent's own seq: the collector takes its next batch as a new baseline).
    for seq, part in ((GAP_SEQ, readings[:2]), (GAP_SEQ + 2, readings[2:])):
        batch = {
            "schema": "energy.readings.v1",
            "site": site.id,
            "agent": site.agents[0].id,
            "seq": seq,
            "readings": part,
        }
        client.publish(topic, json.dumps(batch).encode(), qos=1).wait_for_publish(10)
    client.disconnect()
    client.loop_stop()


def _filled(ql: InfluxQL, raw: str, registry: Registry) -> bool:
    per_meter = _counts(ql, raw)
    meters = {(s.id, m.id) for s, _a, m in registry.meters()}
    enough = all(per_meter.get(key, 0) >= READINGS_PER_METER for key in meters)
    stats = ql.rows('SELECT count("readings") FROM "collector_stats"', raw)
    status = ql.rows('SELECT count("online") FROM "agent_status" GROUP BY "agent"', raw)
    rejected = ql.rows('SELECT count("count") FROM "rejected"', raw)
    return (
        enough
        and bool(stats)
        and stats[0]["count"] >= 3
        and len(status) == sum(a.kind is AgentKind.EDGE for a in registry.agents.values())
        and bool(rejected)
    )


def _progress(ql: InfluxQL, raw: str) -> dict[str, object]:
    """What the pipeline has stored so far, for a failure message."""
    return {
        "readings per meter": _counts(ql, raw),
        **{
            m: ql.rows(f'SELECT count(*) FROM "{m}"', raw)
            for m in ("collector_stats", "agent_status", "rejected")
        },
    }


def _counts(ql: InfluxQL, raw: str) -> dict[tuple[str, str], int]:
    """Readings per meter since local midnight: the boards' "today" panels need them there."""
    midnight = datetime.now(ZONE).replace(hour=0, minute=0, second=0, microsecond=0)
    since = f"time >= {int(midnight.timestamp() * 1000)}ms"
    counts: dict[tuple[str, str], int] = {}
    for field, names in (("energy_kwh", "electricity|heat|solar"), ("volume_m3", "gas|water")):
        for row in ql.rows(
            f'SELECT count("{field}") FROM /^({names})$/ WHERE {since} GROUP BY "site", "meter"',
            raw,
        ):
            counts[(row["site"], row["meter"])] = row["count"]
    return counts


def _seed_last_year(influx: InfluxServer, public: str, registry: Registry) -> int:
    """Last year's daily rollups for this month's days so far (city and each district with sites)."""
    today = datetime.now(ZONE).replace(hour=0, minute=0, second=0, microsecond=0)
    first = today.replace(day=1)
    districts = [GROUP_ALL, *sorted({s.district for s in registry.sites.values()})]
    points = []
    day = first
    while day <= today:
        ts = years_back(day, 1).astimezone(UTC)
        for district in districts:
            points.append(
                Point(CONSUMPTION_1D)
                .tag("utility", "electricity")
                .tag("district", district)
                .tag("dong", GROUP_ALL)
                .tag("building_type", GROUP_ALL)
                .field("consumption", 1000.0)
                .field("co2e_kg", 417.3)
                .field("meters", 10)
                .field("sites", 2)
                .field("households", 840)
                .time(ts, WritePrecision.MS)
            )
        day += timedelta(days=1)
    with InfluxDBClient(url=influx.url, token="x", org="-") as client:
        client.write_api(write_options=SYNCHRONOUS).write(
            public, "-", points, write_precision=WritePrecision.MS
        )
    return len(points)


def _alerts_once(root: Path, platform: Platform, raw: str) -> subprocess.CompletedProcess[str]:
    """One real `python -m alerts --once` pass over the run's readings, on its own SQLite."""
    rules = root / "alerts.yaml"
    rules.write_text(POWER_ON_RULE, encoding="utf-8")
    db_url = f"sqlite:///{root / 'platform.sqlite'}"
    upgrade(db_url)
    argv = ["--config", str(platform.config), "--rules", str(rules), "--db-url", db_url,
            "--influx-url", platform.influx_url, "--influx-bucket", raw, "--once"]  # fmt: skip
    return run_module("alerts", *argv, timeout=120)


@pytest.fixture(scope="module")
def pipeline_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    root = tmp_path_factory.mktemp("dashboards-e2e")
    # Own services: nothing else subscribes to this broker or writes these databases.
    influx = InfluxServer(root / "influx").start()
    tag = uuid.uuid4().hex[:8]
    raw, public = f"dash_raw_{tag}", f"dash_pub_{tag}"
    influx.create_database(raw)
    influx.create_database(public)
    registry = load_registry(DEMO)
    broker = MosquittoServer(root / "mosquitto").start()
    config = shifted_config(DEMO, root / "sites.yaml")
    platform = Platform(
        root,
        config,
        broker.url,
        influx.url,
        raw,
        public,
        speed=60,
        api_port=None,
        rollup_interval_s=None,
        privacy_k=1,
        status_interval_s=2,
        extra_env={"ENERGY_STATS_INTERVAL_S": "2"},
    )
    ql = InfluxQL(influx.url)
    try:
        platform.start()
        sent = 0
        deadline = time.monotonic() + FILL_DEADLINE_S
        while not (sent and _filled(ql, raw, registry)):
            if not sent and _counts(ql, raw):
                # The collector stores readings, so it is subscribed: now it sees these too.
                sent = _publish_garbage(broker.url, registry)
                _publish_glitch(broker.url, registry)
            exited = [c.name for c in platform.children if not c.running]
            if exited or time.monotonic() > deadline:
                logs = "\n".join(f"[{c.name}]\n{c.log_tail()}" for c in platform.children)
                pytest.fail(
                    f"pipeline did not fill InfluxDB (exited: {exited}); stored: "
                    f"{_progress(ql, raw)}\n{logs}"
                )
            time.sleep(1.0)
        rollup = platform.rollup_once()
        assert rollup.returncode == 0, rollup.stdout + rollup.stderr
        _seed_last_year(influx, public, registry)
        alerts = _alerts_once(root, platform, raw)
        assert alerts.returncode == 0, alerts.stdout + alerts.stderr
        yield Run(ql, raw, public, registry, sent)
    finally:
        platform.stop()
        broker.stop()
        influx.stop()
        ql.close()
