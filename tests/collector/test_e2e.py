"""End to end: simulated meters → edge agents (real processes) → Mosquitto → collector → InfluxDB.

A plain (non-shared) test subscriber records every batch the agents published:
that is what was read. InfluxDB must then hold exactly those readings, each
once, with the same field values and the registry's tags.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from devstack import InfluxServer, MosquittoServer, component_env, flags, free_port
from telemetry.fields import CONSUMPTION_FIELD, RATE_FIELD, Utility
from telemetry.models import ReadingBatch
from tests.collector.helpers import REPO, StartCollector, influx_rows, rejected_total
from tests.support.processes import start_logged
from tests.support.waiting import wait_until

HERE = Path(__file__).parent
Key = tuple[str, str, str, int]  # utility, site, meter, ts ms


class Recorder:
    """Every reading published under energy/v1/+/+/readings, by point identity."""

    def __init__(self, host: str, port: int) -> None:
        self.points: dict[Key, dict[str, float]] = {}
        self.batches = 0
        self.lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.client.on_connect = lambda c, *_: c.subscribe("energy/v1/+/+/readings", qos=1)
        self.client.on_message = self._on_message
        self.client.connect(host, port)
        self.client.loop_start()

    def _on_message(self, _c: object, _u: object, msg: mqtt.MQTTMessage) -> None:
        batch = ReadingBatch.from_json(msg.payload)
        with self.lock:
            self.batches += 1
            for r in batch.readings:
                key = (r.utility.value, batch.site, r.meter, round(r.ts.timestamp() * 1000))
                self.points[key] = dict(r.values)

    def snapshot(self) -> dict[Key, dict[str, float]]:
        with self.lock:
            return dict(self.points)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def stored_points(url: str, db: str) -> dict[Key, dict[str, float]]:
    out: dict[Key, dict[str, float]] = {}
    tag_cols = {"time", "site", "meter", "district", "dong", "building_type", "quality"}
    for utility in ("electricity", "gas", "water", "heat", "solar"):
        for row in influx_rows(url, f'SELECT * FROM "{utility}"', db, epoch="ms"):
            key = (utility, row["site"], row["meter"], int(row["time"]))
            out[key] = {k: v for k, v in row.items() if k not in tag_cols and v is not None}
    return out


def handed_points(url: str, db: str) -> dict[Key, tuple[float | None, float | None]]:
    """The readings the markers handed over, by the site of their marker (same
    instance and time): (utility, site, meter, time) → (counter, rate)."""
    sites = {
        (row["instance"], row["time"]): row["site"]
        for row in influx_rows(url, "SELECT site FROM arrivals GROUP BY instance", db, "ns")
    }
    out: dict[Key, tuple[float | None, float | None]] = {}
    q = 'SELECT stored FROM "handed"."handed_readings" GROUP BY instance'
    for row in influx_rows(url, q, db, "ns"):
        site = sites[(row["instance"], row["time"])]
        for utility, meters in json.loads(row["stored"]).items():
            for meter, readings in meters.items():
                for ts, counter, rate in readings:
                    out[(utility, site, meter, ts)] = (counter, rate)
    return out


def _start(argv: list[str], log: Path) -> subprocess.Popen[bytes]:
    return start_logged([sys.executable, *argv], log)


@pytest.mark.timeout(120)
def test_simulators_through_agents_to_influxdb_every_reading_once(
    tmp_path: Path,
    broker: MosquittoServer,
    influx_srv: InfluxServer,
    db: str,
    start_collector: StartCollector,
) -> None:
    text = (HERE / "configs" / "e2e.yaml").read_text()
    config = tmp_path / "sites.yaml"
    config.write_text(
        text.replace("{PORT_A}", str(free_port())).replace("{PORT_B}", str(free_port()))
    )
    col = start_collector("e2e", "--config", str(config))
    recorder = Recorder(broker.host, broker.port)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        sim_log = tmp_path / "sim.log"
        procs.append(_start(["-m", "simulators", "serve", "--config", str(config)], sim_log))
        wait_until(lambda: "READY" in sim_log.read_text(errors="replace"), 30, "simulators READY")
        agents = []
        for agent in ("c5-gw-a", "c5-gw-b"):
            agents.append(
                _start(
                    ["-m", "edge_agent"]
                    + flags(
                        config=config,
                        agent=agent,
                        mqtt_url=broker.url,
                        outbox=tmp_path / f"{agent}.sqlite",
                    ),
                    tmp_path / f"{agent}.log",
                )
            )
        procs += agents
        wait_until(lambda: recorder.batches >= 12, 45, "agents publishing")
        time.sleep(2.0)
        for a in agents:  # a clean stop: the agents publish what their outbox holds
            a.send_signal(signal.SIGTERM)
        for a in agents:
            a.wait(20)
        time.sleep(0.5)
        published = recorder.snapshot()
        meters = {(k[1], k[2]) for k in published}
        assert len(meters) == 5, f"not every meter was read: {sorted(meters)}"
        wait_until(
            lambda: len(stored_points(influx_srv.url, db)) >= len(published),
            30,
            f"{len(published)} readings stored\n{col.log_tail()}",
        )
        stored = stored_points(influx_srv.url, db)
        assert stored == published
        # Every reading is also handed to the rollup beside its marker (arrivals.py).
        assert handed_points(influx_srv.url, db) == {
            key: (v.get(CONSUMPTION_FIELD[Utility(key[0])]), v.get(RATE_FIELD[Utility(key[0])]))
            for key, v in stored.items()
        }
        tags = influx_rows(influx_srv.url, 'SELECT * FROM "gas" LIMIT 1', db)[0]
        assert (tags["district"], tags["dong"], tags["building_type"]) == (
            "29200",
            "2920064000",
            "industrial",
        )
        assert rejected_total(col.metrics()) == 0
    finally:
        recorder.close()
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(10)


@pytest.mark.timeout(120)
def test_fleet_of_agents_every_reading_stored_once(
    tmp_path: Path,
    broker: MosquittoServer,
    influx_srv: InfluxServer,
    db: str,
    start_collector: StartCollector,
) -> None:
    """`python -m simulators fleet` publishes as 20 agents; the counts must match."""
    config = tmp_path / "fleet.yaml"
    # The fleet writes its sites file as it starts publishing, and the collector
    # reads its registry at start. So: create the collector's persistent session
    # first (subscribed, then stopped); the fleet's batches queue in it.
    col = start_collector("fleet")
    assert col.terminate() == 0
    recorder = Recorder(broker.host, broker.port)
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "simulators",
                "fleet",
                "--agents",
                "20",
                "--meters-per-agent",
                "10",
                "--interval",
                "0.5",
                "--cycles",
                "5",
                "--mqtt-url",
                broker.url,
                "--write-config",
                str(config),
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=90,
            env=component_env({"PYTHONPATH": str(REPO)}),
        )
        assert done.returncode == 0, done.stderr[-2000:]
        sent = dict(kv.split("=") for kv in done.stdout.strip().splitlines()[-1].split()[1:])
        assert int(sent["batches"]) == 100 and int(sent["readings"]) == 1000
        col.extra = ["--config", str(config)]
        col.start()
        wait_until(
            lambda: len(stored_points(influx_srv.url, db)) >= 1000,
            60,
            f"1000 fleet readings stored\n{col.log_tail()}",
        )
        stored = stored_points(influx_srv.url, db)
        assert len(stored) == int(sent["readings"])
        assert stored == recorder.snapshot()
        assert rejected_total(col.metrics()) == 0
    finally:
        recorder.close()
