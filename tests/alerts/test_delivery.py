"""Delivery to real local receivers: a signed webhook (retries, idempotency, dead letter) and SMTP."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, select, update

from alerts.delivery import Deliverer
from alerts.lifecycle import AlertState, Event
from alerts.routing import idempotency_key, payload
from alerts.rules import RulesFile
from alerts.store import Note, enqueue, save
from telemetry.db.tables import alert_notifications
from tests.alerts.receivers import WebhookLog, WebhookReceiver
from tests.support.processes import LocalServers

SECRET = "s3cret-key"
FIRED = datetime(2026, 1, 5, 21, 0, tzinfo=UTC)


def _rules(targets: dict, max_attempts: int = 5) -> RulesFile:
    return RulesFile.model_validate(
        {
            "targets": targets,
            "policies": [{"targets": list(targets)}],
            "delivery": {"max_attempts": max_attempts, "backoff": 0.01, "max_backoff": 0.05},
        }
    )


def _queue(engine: Engine, target: str) -> str:
    alert = AlertState("stale", "meter:hanam-ic/gas-main", "hanam-ic", "major",
                       state="active_unacked", fired_at=FIRED, labels={"site": "hanam-ic"})  # fmt: skip
    key = idempotency_key(alert, Event.FIRING)
    with engine.begin() as conn:
        alert = save(conn, alert, FIRED)
        body = payload(alert, Event.FIRING, key, "하남산업단지")
        enqueue(conn, alert.id, Note(key, target, "firing", body), FIRED)  # type: ignore[arg-type]
    return key


def _drain(deliverer: Deliverer, rounds: int = 100) -> None:
    for _ in range(rounds):
        deliverer.run_due()
        time.sleep(0.02)


def _row(engine: Engine) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(select(alert_notifications)).mappings().one())


@pytest.mark.usefixtures("local_servers")  # the webhook receiver
def test_receiver_failing_three_times_gets_exactly_one_delivery(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALERTS_TEST_SECRET", SECRET)
    log = WebhookLog(SECRET, fail_first=3)
    with WebhookReceiver(log) as receiver:
        rules = _rules({"hook": {"kind": "webhook", "url": receiver.url,
                                 "secret_env": "ALERTS_TEST_SECRET"}})  # fmt: skip
        key = _queue(engine, "hook")
        deliverer = Deliverer(rules, engine)
        _drain(deliverer)
        row = _row(engine)
        assert row["delivered_at"] is not None and row["attempts"] == 4
        # A crash after the POST but before delivered_at was stored: sent again, same key.
        with engine.begin() as conn:
            conn.execute(update(alert_notifications).values(delivered_at=None))
        _drain(deliverer, 3)
    assert log.requests == 5 and log.bad_signatures == 0
    assert list(log.accepted) == [key]
    assert log.accepted[key]["rule"] == "stale" and log.accepted[key]["site"] == "hanam-ic"


@pytest.mark.usefixtures("local_servers")  # the webhook receiver
def test_permanently_failing_receiver_ends_dead_lettered(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALERTS_TEST_SECRET", SECRET)
    log = WebhookLog(SECRET, always_fail=True)
    with WebhookReceiver(log) as receiver:
        rules = _rules({"hook": {"kind": "webhook", "url": receiver.url,
                                 "secret_env": "ALERTS_TEST_SECRET"}}, max_attempts=4)  # fmt: skip
        _queue(engine, "hook")
        _drain(Deliverer(rules, engine))
    row = _row(engine)
    assert row["dead_at"] is not None and row["delivered_at"] is None
    assert row["attempts"] == 4 and log.requests == 4 and "503" in row["last_error"]


@pytest.mark.usefixtures("local_servers")  # the webhook receiver
def test_wrong_secret_is_refused_by_the_receiver(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALERTS_TEST_SECRET", "not-the-key")
    log = WebhookLog(SECRET)
    with WebhookReceiver(log) as receiver:
        rules = _rules({"hook": {"kind": "webhook", "url": receiver.url,
                                 "secret_env": "ALERTS_TEST_SECRET"}}, max_attempts=1)  # fmt: skip
        _queue(engine, "hook")
        _drain(Deliverer(rules, engine), 3)
    assert log.bad_signatures == 1 and log.accepted == {}
    assert _row(engine)["dead_at"] is not None


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.messages.append(envelope.content)  # type: ignore[attr-defined]
        return "250 OK"


def test_email_arrives_with_subject_and_site(engine: Engine, local_servers: LocalServers) -> None:
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=local_servers.port())
    controller.start()
    try:
        rules = _rules({"mail": {"kind": "email", "to": ["ops@example.org"],
                                 "sender": "alerts@example.org", "smtp_host": "127.0.0.1",
                                 "smtp_port": controller.port, "starttls": False}})  # fmt: skip
        key = _queue(engine, "mail")
        _drain(Deliverer(rules, engine), 3)
    finally:
        controller.stop()
    assert len(inbox.messages) == 1
    mail = message_from_bytes(inbox.messages[0], policy=policy.default)
    assert mail["Subject"] == "[MAJOR] FIRING stale — 하남산업단지 (hanam-ic)"
    assert mail["Message-ID"] == f"<{key}@alerts.energy>"
    assert "originator: meter:hanam-ic/gas-main" in mail.get_content()
    assert _row(engine)["delivered_at"] is not None
