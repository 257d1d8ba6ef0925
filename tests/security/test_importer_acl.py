"""The importer agent on the deployed broker config: its own credentials, its own prefix only."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from telemetry.topics import readings_topic
from tests.importers.procs import AGENT, FILES, SITE, Run, run_import
from tests.security.conftest import SecureBroker
from tests.security.mqtt_clients import Client, connect

pytestmark = pytest.mark.timeout(90)


def _import_as(user: str, broker: SecureBroker, state: Path) -> tuple[Run, Client]:
    """Run the importer with `user`'s credentials, watching the importer agent's topic."""
    watcher = connect(
        broker.port, "collector", broker.passwords["collector"], client_id=f"watch-{time.time_ns()}"
    )
    assert watcher.accepted
    watcher.subscribe(readings_topic(SITE, AGENT))
    url = f"mqtt://{user}@127.0.0.1:{broker.port}"
    env = {"ENERGY_MQTT_PASSWORD": broker.passwords[user]}
    return run_import("kapt", FILES / "kapt.csv", url, state, env=env), watcher


def test_importer_publishes_under_its_own_identity(
    secure_broker: SecureBroker, tmp_path: Path
) -> None:
    run, watcher = _import_as(AGENT, secure_broker, tmp_path)
    try:
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
    run, watcher = _import_as("hanam-gw-a", secure_broker, tmp_path)
    try:
        assert run.code == 1, run.stdout + run.stderr
        assert "the broker refused it" in run.stderr
        assert watcher.drain() == []  # the broker acknowledged only after refusing
    finally:
        watcher.close()
