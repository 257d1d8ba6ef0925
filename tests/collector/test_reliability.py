"""Crashes, outages and takeover, counted: what went in equals what is stored, once."""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import pytest

from devstack import InfluxServer, MosquittoServer
from tests.collector.helpers import (
    AGENT,
    SITE,
    CollectorProc,
    Publisher,
    SteadyStream,
    expected_sum,
    make_batch,
    recent_t0,
    stored_count,
    stored_sum,
)
from tests.support.waiting import wait_until


def _assert_all_stored_once(url: str, db: str, stream: SteadyStream) -> None:
    wait_until(
        lambda: stored_count(url, db) >= stream.readings,
        60,
        f"{stream.readings} readings stored",
    )
    assert stored_count(url, db) == stream.readings
    assert stored_sum(url, db) == expected_sum(stream.seq, stream.per_batch)


@pytest.mark.slow
@pytest.mark.timeout(150)
def test_sigkill_ten_times_during_stream_stores_each_reading_once(
    tmp_path: Path,
    broker: MosquittoServer,
    influx_srv: InfluxServer,
    db: str,
    collectors: list[CollectorProc],
) -> None:
    col = CollectorProc(tmp_path, broker.url, influx_srv.url, db, "kill", ["--batch-size", "200"])
    collectors.append(col.start())
    pub = Publisher(broker.host, broker.port)
    rng = random.Random(5)
    with SteadyStream(pub, per_batch=20, pace_s=0.02, t0=recent_t0()) as stream:
        pending_at_kill = []
        for _ in range(10):
            time.sleep(rng.uniform(0.8, 2.0))
            pending_at_kill.append(col.metrics().get("collector_acks_pending", 0))
            col.kill()
            # Published while the collector is down: queued in its session.
            time.sleep(rng.uniform(0.0, 0.5))
            col.start()
        time.sleep(1.0)
    assert stream.seq > 200, "the stream was too thin to test anything"
    # Kills that left messages unacknowledged are the ones that test redelivery.
    assert sum(1 for n in pending_at_kill if n > 0) >= 3, pending_at_kill
    _assert_all_stored_once(influx_srv.url, db, stream)
    pub.close()


# The 30 s outage; COLLECTOR_OUTAGE_S=10 shortens it for quick local runs.
OUTAGE_S = float(os.environ.get("COLLECTOR_OUTAGE_S", "30"))


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_influxdb_stopped_then_started_loses_nothing(
    tmp_path: Path,
    broker: MosquittoServer,
    own_influx: InfluxServer,
    collectors: list[CollectorProc],
) -> None:
    """InfluxDB down for 30 s (COLLECTOR_OUTAGE_S shortens it for quick local runs)."""
    col = CollectorProc(tmp_path, broker.url, own_influx.url, "energy", "outage")
    collectors.append(col.start())
    pub = Publisher(broker.host, broker.port)
    with SteadyStream(pub, per_batch=20, pace_s=0.05, t0=recent_t0()) as stream:
        time.sleep(2.0)
        own_influx.stop_influxd()
        wait_until(lambda: not col.ready(), 15, "readiness to drop while InfluxDB is down")
        time.sleep(OUTAGE_S)
        # Nothing written, so nothing acknowledged: the broker holds the backlog.
        assert col.metrics()["collector_acks_pending"] > 0
        own_influx.start_influxd()
        wait_until(col.ready, 30, "readiness back after InfluxDB returned")
        time.sleep(1.0)
    _assert_all_stored_once(own_influx.url, "energy", stream)
    assert col.alive()
    pub.close()


@pytest.mark.timeout(120)
def test_two_collectors_split_the_stream_and_one_takes_over(
    tmp_path: Path,
    broker: MosquittoServer,
    influx_srv: InfluxServer,
    db: str,
    collectors: list[CollectorProc],
) -> None:
    a = CollectorProc(tmp_path, broker.url, influx_srv.url, db, "a", ["--leave-on-exit"])
    b = CollectorProc(tmp_path, broker.url, influx_srv.url, db, "b", ["--leave-on-exit"])
    collectors += [a.start(), b.start()]
    pub = Publisher(broker.host, broker.port)

    def messages(c: CollectorProc) -> float:
        return c.metrics().get('collector_messages_total{kind="readings"}', 0)

    with SteadyStream(pub, per_batch=10, pace_s=0.02, t0=recent_t0()) as stream:
        wait_until(lambda: messages(a) > 20 and messages(b) > 20, 20, "both collectors busy")
        # A leaves (SIGTERM with --leave-on-exit): drains, acks, ends its session.
        assert a.terminate() == 0
        b_before, seq_at_stop = messages(b), stream.seq
        time.sleep(3.0)
        sent_since = stream.seq - seq_at_stop
    # B took over: it receives everything published after A left (the last
    # batches may still be in flight when the stream stops, hence the wait).
    wait_until(
        lambda: messages(b) - b_before >= sent_since, 15, "B to receive what was sent after A left"
    )
    _assert_all_stored_once(influx_srv.url, db, stream)
    pub.close()


@pytest.mark.timeout(120)
def test_crashed_member_gets_its_queued_share_when_it_returns(
    tmp_path: Path,
    broker: MosquittoServer,
    influx_srv: InfluxServer,
    db: str,
    collectors: list[CollectorProc],
) -> None:
    """Mosquitto 2.0 keeps handing a crashed member (persistent session) its share;
    it waits in the session until the instance comes back under the same id."""
    a = CollectorProc(tmp_path, broker.url, influx_srv.url, db, "a")
    b = CollectorProc(tmp_path, broker.url, influx_srv.url, db, "b")
    collectors += [a.start(), b.start()]
    pub = Publisher(broker.host, broker.port)
    with SteadyStream(pub, per_batch=10, pace_s=0.02, t0=recent_t0()) as stream:
        time.sleep(2.0)
        a.kill()
        time.sleep(3.0)
    stored_while_a_down = stored_count(influx_srv.url, db)
    a.start()
    _assert_all_stored_once(influx_srv.url, db, stream)
    # Some of what is stored now arrived only with A's return.
    assert stored_while_a_down < stream.readings
    assert a.metrics().get('collector_messages_total{kind="readings"}', 0) > 0
    pub.close()


@pytest.mark.timeout(90)
def test_broker_restart_with_unacked_messages_redelivers_and_acks_once(
    tmp_path: Path,
    broker: MosquittoServer,
    influx_srv: InfluxServer,
    db: str,
    collectors: list[CollectorProc],
) -> None:
    """Messages received but not yet written when the broker restarts: their acks
    belong to the old connection and are skipped; the redelivered copies are
    written (overwriting themselves) and acknowledged."""
    col = CollectorProc(tmp_path, broker.url, influx_srv.url, db, "restart")
    col.extra = ["--flush-interval", "4"]  # later flag wins: hold the batch open
    collectors.append(col.start())
    pub = Publisher(broker.host, broker.port)
    t0 = recent_t0()
    for seq in range(10):
        pub.batch(make_batch(SITE, AGENT, seq, 10, t0))
    pub.close()
    wait_until(
        lambda: col.metrics().get('collector_messages_total{kind="readings"}', 0) >= 10,
        10,
        "all ten received",
    )
    assert col.metrics().get("collector_acks_total", 0) == 0  # the batch is still open
    broker.restart()
    wait_until(lambda: stored_count(influx_srv.url, db) >= 100, 30, "100 readings stored")
    wait_until(lambda: col.metrics()["collector_acks_pending"] == 0, 20, "nothing pending")
    metrics = col.metrics()
    assert metrics["collector_acks_void_total"] >= 10
    assert metrics['collector_messages_total{kind="readings"}'] >= 20  # each came twice
    assert stored_count(influx_srv.url, db) == 100
    assert col.terminate() == 0
    collectors.append(col.start())
    time.sleep(1.0)
    assert col.metrics().get('collector_messages_total{kind="readings"}', 0) == 0
