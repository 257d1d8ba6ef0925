"""The importer agent on the deployed broker config: its own credentials, its own prefix only."""

from __future__ import annotations

import json
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from telemetry.receipts import BatchReceipt, MeterReceipt
from telemetry.topics import readings_topic
from tests.importers.procs import AGENT, FILES, SITE, Run, run_import
from tests.security.conftest import SecureBroker
from tests.security.mqtt_clients import Client, connect

pytestmark = pytest.mark.timeout(90)


def _watch(broker: SecureBroker) -> Client:
    """A client with the collector's credentials, watching the importer agent's readings."""
    watcher = connect(
        broker.port, "collector", broker.passwords["collector"], client_id=f"watch-{time.time_ns()}"
    )
    assert watcher.accepted
    watcher.subscribe(readings_topic(SITE, AGENT))
    return watcher


def _run_as(user: str, broker: SecureBroker, state: Path) -> Run:
    """Run the importer with `user`'s credentials."""
    url = f"mqtt://{user}@127.0.0.1:{broker.port}"
    env = {"ENERGY_MQTT_PASSWORD": broker.passwords[user]}
    return run_import("kapt", FILES / "kapt.csv", url, state, env=env)


def _answer_as_the_collector(watcher: Client) -> mqtt.MQTTMessage:
    """Receive the importer's batch and answer it on its ResponseTopic, with the collector's
    credentials: the ACL must let the collector write there and the importer read it."""
    msg = watcher.messages.get(timeout=30)
    batch = json.loads(msg.payload)
    props = Properties(PacketTypes.PUBLISH)
    props.CorrelationData = msg.properties.CorrelationData
    stored = Counter(r["meter"] for r in batch["readings"])
    receipt = BatchReceipt(
        seq=batch["seq"], meters={m: MeterReceipt(stored=n) for m, n in stored.items()}
    )
    code = watcher.publish(msg.properties.ResponseTopic, receipt.to_json(), properties=props)
    assert code is not None and not code.is_failure, code
    return msg


def test_importer_publishes_under_its_own_identity_and_reads_its_receipts(
    secure_broker: SecureBroker, tmp_path: Path
) -> None:
    watcher = _watch(secure_broker)
    try:
        with ThreadPoolExecutor(1) as pool:
            running = pool.submit(_run_as, AGENT, secure_broker, tmp_path)
            msg = _answer_as_the_collector(watcher)
            run = running.result()
        assert run.code == 0, run.stderr
        assert "7 readings of 1 meters: 7 stored, 0 refused" in run.stdout
        assert msg.properties.ResponseTopic.startswith(f"energy/v1/{SITE}/{AGENT}/receipts/")
        assert msg.topic == readings_topic(SITE, AGENT)
        batch = json.loads(msg.payload)
        assert (batch["schema"], batch["site"], batch["agent"]) == (
            "energy.readings.v2",
            SITE,
            AGENT,
        )
        assert len(batch["readings"]) == 7
    finally:
        watcher.close()


def test_another_agents_credentials_cannot_publish_as_the_importer(
    secure_broker: SecureBroker, tmp_path: Path
) -> None:
    watcher = _watch(secure_broker)
    try:
        run = _run_as("hanam-gw-a", secure_broker, tmp_path)
        assert run.code == 1, run.stdout + run.stderr
        assert "the broker refused it" in run.stderr
        assert watcher.drain() == []  # the broker acknowledged only after refusing
    finally:
        watcher.close()
