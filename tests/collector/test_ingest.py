"""Basic ingest against real Mosquitto and InfluxDB: stored once, acked, status, init."""

from __future__ import annotations

import json
import signal
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from devstack import InfluxServer, MosquittoServer
from telemetry.models import AgentState, AgentStatus
from telemetry.topics import readings_topic, status_topic
from tests.collector.helpers import (
    AGENT,
    REPO,
    SITE,
    CollectorProc,
    Publisher,
    StartCollector,
    expected_sum,
    influx_rows,
    make_batch,
    recent_t0,
    stored_count,
    stored_sum,
)
from tests.support.processes import Processes, run_module
from tests.support.waiting import wait_until

pytestmark = pytest.mark.timeout(90)


def test_every_reading_stored_once_then_acked(
    tmp_path: Path,
    broker: MosquittoServer,
    influx_srv: InfluxServer,
    db: str,
    collectors: list[CollectorProc],
    start_collector: StartCollector,
) -> None:
    col = start_collector("ingest")
    pub = Publisher(broker.host, broker.port)
    t0 = recent_t0()
    batches, per = 20, 50
    for seq in range(batches):
        pub.batch(make_batch(SITE, AGENT, seq, per, t0))
    wait_until(lambda: stored_count(influx_srv.url, db) >= batches * per, 30, "all readings")
    assert stored_count(influx_srv.url, db) == batches * per
    assert stored_sum(influx_srv.url, db) == expected_sum(batches, per)
    # Tags come from the registry: hanam-ic is in 광산구 (29200), 하남동, industrial.
    tags = influx_rows(
        influx_srv.url,
        'SHOW TAG VALUES FROM "electricity" WITH KEY IN ("district", "dong", "building_type")',
        db,
    )
    assert {(r["key"], r["value"]) for r in tags} == {
        ("district", "29200"),
        ("dong", "2920064000"),
        ("building_type", "industrial"),
    }
    wait_until(lambda: col.metrics().get("collector_acks_total", 0) >= batches, 10, "acks")
    assert col.metrics()["collector_acks_pending"] == 0
    assert col.terminate() == 0
    # On the way out the collector wrote its counters for the operations board.
    stats = influx_rows(
        influx_srv.url,
        'SELECT last("written") AS w, last("seq_gaps") AS g FROM "collector_stats" WHERE "instance" = \'ingest\'',
        db,
    )
    assert (stats[0]["w"], stats[0]["g"]) == (batches * per, 0)
    # Acknowledged means the broker holds nothing more for this instance.
    collectors.append(col.start())
    time.sleep(1.0)
    assert col.metrics().get('collector_messages_total{kind="readings"}', 0) == 0
    pub.close()


def test_agent_status_stored(
    tmp_path: Path,
    broker: MosquittoServer,
    influx_srv: InfluxServer,
    db: str,
    start_collector: StartCollector,
) -> None:
    start_collector("status")
    pub = Publisher(broker.host, broker.port)
    status = AgentStatus(
        state=AgentState.ONLINE,
        ts=datetime.now(UTC) - timedelta(seconds=1),  # agents stamp status; the will has no ts
        meters=5,
        meters_failing=["gas-main"],
        outbox_depth=7,
        dropped_batches=0,
    )
    pub.publish(status_topic(SITE, AGENT), status.to_json())
    pub.publish(status_topic(SITE, AGENT), AgentStatus(state=AgentState.OFFLINE).to_json())
    q = 'SELECT * FROM "agent_status"'
    wait_until(lambda: len(influx_rows(influx_srv.url, q, db)) == 2, 20, "two status points")
    rows = influx_rows(influx_srv.url, q, db)
    online = next(r for r in rows if r["state"] == "online")
    assert (online["site"], online["agent"], online["online"]) == (SITE, AGENT, 1)
    assert (online["meters_failing"], online["failing"], online["outbox_depth"]) == (
        1,
        "gas-main",
        7,
    )
    assert next(r for r in rows if r["state"] == "offline")["online"] == 0
    pub.close()


def test_init_creates_databases_idempotently(influx_srv: InfluxServer) -> None:
    names = [f"i_{uuid.uuid4().hex[:6]}", f"p_{uuid.uuid4().hex[:6]}"]
    argv = ["--influx-url", influx_srv.url]
    argv += ["--influx-bucket", names[0], "--influx-public-bucket", names[1]]
    for _ in range(2):
        done = run_module("collector", "init", *argv, timeout=30)
        assert done.returncode == 0, done.stderr
    dbs = {r["name"] for r in influx_rows(influx_srv.url, "SHOW DATABASES", "")}
    assert set(names) <= dbs


def test_init_names_unreachable_influx(processes: Processes) -> None:
    done = processes.run_module(
        "collector", "init", "--influx-url", "http://127.0.0.1:9", timeout=30
    )
    assert done.returncode == 1
    assert "127.0.0.1:9" in done.stderr


def test_field_type_conflict_lines_set_aside_and_acked(
    tmp_path: Path,
    broker: MosquittoServer,
    influx_srv: InfluxServer,
    db: str,
    start_collector: StartCollector,
) -> None:
    t0 = recent_t0()
    # Someone stored power_kw as an integer in this shard: our floats now conflict.
    conflict = f"electricity,site=other power_kw=1i {int(t0.timestamp() * 1000)}"
    influx_srv_write(influx_srv.url, db, conflict)
    col = start_collector("conflict")
    pub = Publisher(broker.host, broker.port)
    mixed = make_batch(SITE, AGENT, 0, 4, t0).model_dump(mode="json", by_alias=True)
    mixed["readings"].append(
        {
            "meter": "gas-main",
            "utility": "gas",
            "ts": mixed["readings"][0]["ts"],
            "values": {"volume_m3": 12.5},
        }
    )
    pub.publish(readings_topic(SITE, AGENT), json.dumps(mixed).encode())
    gas_only = {
        **mixed,
        "seq": 1,
        "readings": [{**mixed["readings"][-1], "ts": (t0 + timedelta(seconds=1)).isoformat()}],
    }
    pub.publish(readings_topic(SITE, AGENT), json.dumps(gas_only).encode())
    wait_until(lambda: stored_count(influx_srv.url, db, "gas", "volume_m3") == 2, 30, "gas stored")
    # The rejected records are written just after the readings of their batch.
    wait_until(
        lambda: len(influx_rows(influx_srv.url, 'SELECT * FROM "rejected"', db)) >= 4, 10, "records"
    )
    rows = influx_rows(influx_srv.url, 'SELECT * FROM "rejected"', db)
    assert len(rows) == 4
    assert {r["reason"] for r in rows} == {"influx_rejected"}
    assert all("field type conflict" in r["detail"] for r in rows)
    wait_until(lambda: col.metrics()["collector_acks_pending"] == 0, 10, "all acked")
    assert col.metrics()['collector_rejected_total{reason="influx_rejected"}'] == 4
    pub.close()


def influx_srv_write(url: str, db: str, lp: str) -> None:
    req = urllib.request.Request(
        f"{url}/write?db={db}&precision=ms", data=lp.encode(), method="POST"
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 204


def test_seq_gaps_and_duplicates_counted(
    tmp_path: Path,
    broker: MosquittoServer,
    influx_srv: InfluxServer,
    db: str,
    start_collector: StartCollector,
) -> None:
    col = start_collector("seq")
    pub = Publisher(broker.host, broker.port)
    t0 = recent_t0()
    for seq in (0, 1, 2, 5, 5, 9):  # 3, 4 and 6-8 missing; 5 twice
        pub.batch(make_batch(SITE, AGENT, seq, 2, t0))
    wait_until(lambda: col.metrics().get("collector_acks_total", 0) >= 6, 20, "six acks")
    metrics = col.metrics()
    assert metrics["collector_seq_gaps_total"] == 5
    assert metrics["collector_seq_duplicates_total"] == 1
    # The duplicate overwrote itself: five distinct batches of two readings.
    assert stored_count(influx_srv.url, db) == 10
    pub.close()


def test_sighup_reloads_the_registry(
    tmp_path: Path,
    broker: MosquittoServer,
    influx_srv: InfluxServer,
    db: str,
    start_collector: StartCollector,
) -> None:
    text = (REPO / "tests/collector/configs/e2e.yaml").read_text()
    text = text.replace("{PORT_A}", "1502").replace("{PORT_B}", "1503")
    config = tmp_path / "sites.yaml"
    config.write_text(text.replace("id: c5-gw-b", "id: c5-gw-z"))  # c5-gw-b not there yet
    col = start_collector("hup", "--config", str(config))
    pub = Publisher(broker.host, broker.port)
    t0 = recent_t0()
    pub.batch(make_batch("c5-test", "c5-gw-b", 0, 3, t0))
    key = 'collector_rejected_total{reason="unknown_agent"}'
    wait_until(lambda: col.metrics().get(key, 0) == 1, 10, "unknown agent rejected")
    config.write_text(text)
    assert col.proc is not None
    col.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: "registry reloaded" in col.log_tail(), 10, "reload logged")
    pub.batch(make_batch("c5-test", "c5-gw-b", 1, 3, t0))
    wait_until(lambda: stored_count(influx_srv.url, db) == 3, 10, "readings of the new agent")
    assert col.metrics()[key] == 1
    # A broken file is refused; the loaded registry stays in use.
    config.write_text("sites: [")
    col.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: "registry reload failed" in col.log_tail(), 10, "failed reload logged")
    pub.batch(make_batch("c5-test", "c5-gw-b", 2, 3, t0))
    wait_until(lambda: stored_count(influx_srv.url, db) == 6, 10, "still accepted")
    assert col.alive()
    pub.close()
