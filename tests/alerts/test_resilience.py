"""Evaluation goes on whatever the outside does: a hung receiver, an unreachable InfluxDB."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from alerts import store
from alerts.delivery import Deliverer
from alerts.evaluate import Evaluator
from alerts.events import EventLog
from alerts.observers import Store
from alerts.rules import RulesFile
from devstack import free_port
from telemetry.influxql import InfluxQL
from telemetry.registry import Registry
from tests.alerts.receivers import WebhookLog, WebhookReceiver

SECRET = "resilience-secret"


def _rules(url: str, *meters: str) -> RulesFile:
    rules = [{"id": f"stale-{m}", "kind": "stale", "severity": "major", "nodata": "alert",
              "scope": {"site": "hanam-ic", "meter": m}} for m in meters]  # fmt: skip
    return RulesFile.model_validate({
        "rules": rules,
        "targets": {"hook": {"kind": "webhook", "url": url, "secret_env": "ALERTS_TEST_SECRET"}},
        "policies": [{"targets": ["hook"]}],
    })  # fmt: skip


def test_a_hung_receiver_never_holds_up_evaluation(
    engine: Engine, source: Store, events: EventLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALERTS_TEST_SECRET", SECRET)
    log = WebhookLog(SECRET)
    log.open_gate.clear()  # every request hangs until released
    now = datetime.now(UTC)
    with WebhookReceiver(log) as receiver:
        first = Evaluator(_rules(receiver.url, "gas-main"), source, engine, events)
        assert len(first.run_pass(now).events) == 1
        stop = threading.Event()
        worker = threading.Thread(target=Deliverer(first.rules, engine).loop, args=(stop, 0.05))
        worker.start()
        try:
            assert log.arrived.wait(30), "the delivery never reached the receiver"
            # The delivery is stuck inside the receiver; a whole pass still completes,
            # its state and its notification committed.
            second = Evaluator(_rules(receiver.url, "gas-main", "water-main"), source, engine,
                               events)  # fmt: skip
            later = now + timedelta(seconds=1)
            assert [e[1] for e in second.run_pass(later).events] == ["meter:hanam-ic/water-main"]
            assert {a.rule for a in store.all_alerts(engine)} == {"stale-gas-main",
                                                                  "stale-water-main"}  # fmt: skip
        finally:
            log.open_gate.set()
            stop.set()
            worker.join(timeout=30)
    assert len(log.accepted) >= 1


def test_unreachable_influxdb_fails_the_rules_and_changes_nothing(
    engine: Engine, registry: Registry, events: EventLog
) -> None:
    dead = Store(InfluxQL(f"http://127.0.0.1:{free_port()}", timeout_s=2), "energy", registry)
    evaluator = Evaluator(_rules("http://127.0.0.1:9/", "gas-main", "b1-elec"), dead, engine,
                          events)  # fmt: skip
    report = evaluator.run_pass(datetime.now(UTC))
    assert report.failed_rules == ["stale-gas-main", "stale-b1-elec"] and report.events == []
    assert store.all_alerts(engine) == [] and store.load(engine, "stale-gas-main") == {}
