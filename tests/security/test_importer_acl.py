"""The importer agent on the deployed broker config: its own credentials, its own prefix only."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from telemetry.topics import readings_topic
from tests.importers.procs import AGENT, FILES, SITE, run_import
from tests.security.conftest import SecureBroker
from tests.security.mqtt_clients import connect

pytestmark = pytest.mark.timeout(90)


def _watch(broker: SecureBroker, topic: str):
    client = connect(
        broker.port, "collector", broker.passwords["collector"], client_id=f"watch-{time.time_ns()}"
    )
    assert client.accepted
    client.subscribe(topic)
    return client


def test_importer_publishes_under_its_own_identity(
    secure_broker: SecureBroker, tmp_path: Path
) -> None:
    watcher = _watch(secure_broker, readings_topic(SITE, AGENT))
    try:
        url = f"mqtt://{AGENT}@127.0.0.1:{secure_broker.port}"
        env = {"ENERGY_MQTT_PASSWORD": secure_broker.passwords[AGENT]}
        run = run_import("kapt", FILES / "kapt.csv", url, tmp_path, env=env)
        assert run.code == 0, run.stderr
        msg = watcher.messages.get(timeout=10)
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
    watcher = _watch(secure_broker, readings_topic(SITE, AGENT))
    try:
        url = f"mqtt://hanam-gw-a@127.0.0.1:{secure_broker.port}"
        env = {"ENERGY_MQTT_PASSWORD": secure_broker.passwords["hanam-gw-a"]}
        run = run_import("kapt", FILES / "kapt.csv", url, tmp_path, env=env)
        assert run.code == 1, run.stdout + run.stderr
        assert "the broker refused it" in run.stderr
        assert watcher.drain() == []  # the broker acknowledged only after refusing
    finally:
        watcher.close()
