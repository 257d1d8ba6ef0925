"""Notification policies: routing by labels and severity, digests per group, repeats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from alerts.delivery import Deliverer
from alerts.evaluate import Evaluator
from alerts.events import EventLog
from alerts.observers import Store
from alerts.routing import routes_for
from alerts.rules import RulesFile
from telemetry.db.tables import alert_notifications
from telemetry.lineproto import line
from tests.alerts.conftest import NOW, ms, write
from tests.alerts.receivers import WebhookLog, WebhookReceiver

SECRET = "policy-secret"
TAGS = {
    "site": "hanam-ic",
    "district": "29200",
    "dong": "2920064000",
    "building_type": "industrial",
}
STALE = {"id": "stale", "kind": "stale", "severity": "major", "nodata": "alert",
         "scope": {"site": "hanam-ic"}}  # fmt: skip


METERS = [
    ("b1-elec", "electricity", "energy_kwh"),
    ("b2-elec", "electricity", "energy_kwh"),
    ("b3-elec", "electricity", "energy_kwh"),
    ("gas-main", "gas", "volume_m3"),
    ("water-main", "water", "volume_m3"),
    ("heat-main", "heat", "energy_kwh"),
    ("pv-roof", "solar", "energy_kwh"),
]


def _rules(policies: list[dict], url: str = "http://127.0.0.1:9/") -> RulesFile:
    hooks = {name: {"kind": "webhook", "url": url, "secret_env": "ALERTS_TEST_SECRET"}
             for name in ("ops", "facility", "pager")}  # fmt: skip
    return RulesFile.model_validate({"rules": [STALE], "targets": hooks, "policies": policies})


def _rows(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        query = select(alert_notifications).order_by(alert_notifications.c.id)
        return [dict(r) for r in conn.execute(query).mappings()]


def test_routing_first_match_continue_and_severities() -> None:
    rules = _rules([
        {"match": {"team": "ops"}, "severities": ["critical"], "targets": ["pager"],
         "continue": True},
        {"match": {"site": "hanam-ic"}, "targets": ["facility"]},
        {"targets": ["ops"]},
    ])  # fmt: skip
    names = lambda labels, sev: [r.target for r in routes_for(rules, labels, sev)]  # noqa: E731
    assert names({"team": "ops", "site": "hanam-ic"}, "critical") == ["pager", "facility"]
    assert names({"team": "ops", "site": "hanam-ic"}, "major") == ["facility"]
    assert names({"site": "munheung-apt"}, "minor") == ["ops"]


def test_digest_per_site_waits_then_respects_group_interval(
    engine: Engine, source: Store, events: EventLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALERTS_TEST_SECRET", SECRET)
    log = WebhookLog(SECRET)
    now = datetime.now(UTC).replace(microsecond=0)
    policy = {"targets": ["facility"], "group_by": ["site"], "group_wait": "30s",
              "group_interval": "10m"}  # fmt: skip
    with WebhookReceiver(log) as receiver:
        rules = _rules([policy], receiver.url)
        evaluator, deliverer = Evaluator(rules, source, engine, events), Deliverer(rules, engine)
        assert len(evaluator.run_pass(now).events) == 7  # every meter of the site is silent
        assert deliverer.run_due(now) == 0  # group_wait: others may still join
        assert deliverer.run_due(now + timedelta(seconds=31)) == 7
        assert log.requests == 1
        (digest,) = log.accepted.values()
        assert digest["schema"] == "energy.alert_group.v1" and len(digest["alerts"]) == 7
        # They all report again: seven resolutions, held back by group_interval.
        later = now + timedelta(seconds=40)
        at = ms(later - timedelta(seconds=1))
        lines = [
            line(utility, {**TAGS, "meter": meter, "quality": "good"}, {field: 1.0}, at)
            for meter, utility, field in METERS
        ]
        write(source.ql.url, source.bucket, lines)
        assert len(evaluator.run_pass(later).events) == 7
        assert deliverer.run_due(later + timedelta(minutes=5)) == 0
        assert deliverer.run_due(later + timedelta(minutes=11)) == 7
    assert log.requests == 2
    resolved = [d for d in log.accepted.values() if d["alerts"][0]["event"] == "resolved"]
    assert len(resolved) == 1 and len(resolved[0]["alerts"]) == 7


def test_repeat_reannounces_an_unacknowledged_alert(
    engine: Engine, source: Store, events: EventLog
) -> None:
    from alerts import store

    policy = {"targets": ["ops"], "repeat": "10m"}
    scoped = {**STALE, "scope": {"site": "hanam-ic", "meter": "gas-main"}}
    rules = RulesFile.model_validate({**_rules([policy]).model_dump(by_alias=True),
                                      "rules": [scoped]})  # fmt: skip
    evaluator = Evaluator(rules, source, engine, events)
    for minutes in (0, 5, 10, 12, 20):
        evaluator.run_pass(NOW + timedelta(minutes=minutes))
    payloads = [r["payload"] for r in _rows(engine)]
    assert [p["repeat"] for p in payloads] == [0, 1, 2]
    assert len({p["idempotency_key"] for p in payloads}) == 3
    (alert,) = store.all_alerts(engine)
    store.acknowledge(engine, alert.id, "kim", "on it", NOW + timedelta(minutes=21))
    evaluator.run_pass(NOW + timedelta(minutes=31))
    assert len(_rows(engine)) == 3  # acknowledged: no more repeats


def test_email_digest_names_the_site_and_counts() -> None:
    from alerts.rules import EmailTarget
    from alerts.senders import digest_message

    target = EmailTarget(kind="email", to=["ops@example.org"], sender="a@example.org",
                         smtp_host="127.0.0.1")  # fmt: skip
    alerts = [
        {"event": e, "rule": "stale", "originator": f"meter:hanam-ic/{m}", "severity": "major",
         "site": "hanam-ic", "site_name": "하남산업단지", "labels": {}}
        for e, m in (("firing", "b1-elec"), ("firing", "b2-elec"), ("resolved", "gas-main"))
    ]  # fmt: skip
    mail = digest_message(target, "k" * 64, alerts)
    assert mail["Subject"] == "[3 alerts] 2 firing, 1 resolved — 하남산업단지 (hanam-ic)"
    assert mail.get_content().count("originator: meter:hanam-ic/") == 3
