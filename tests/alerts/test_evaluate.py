"""Evaluation against a real InfluxDB and the platform database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, func, select

from alerts.evaluate import Evaluator
from alerts.events import EventLog
from alerts.lifecycle import Event
from alerts.observers import Store
from alerts.rules import RulesFile
from telemetry.db.tables import alert_notifications
from telemetry.influxql import InfluxQL
from telemetry.lineproto import line
from tests.alerts.conftest import NOW, ms, write

SITE_TAGS = {"site": "hanam-ic", "district": "29200", "dong": "2920064000",
             "building_type": "industrial"}  # fmt: skip
HOOK = {"hook": {"kind": "webhook", "url": "http://127.0.0.1:9/", "secret_env": "X"}}


def _rules(*rules: dict, policies: list | None = None) -> RulesFile:
    return RulesFile.model_validate(
        {"rules": list(rules), "targets": HOOK, "policies": policies or [{"targets": ["hook"]}]}
    )


def _reading(utility: str, meter: str, fields: dict, at: object, quality: str = "good") -> str:
    return line(utility, {**SITE_TAGS, "meter": meter, "quality": quality}, fields, ms(at))


def _notifications(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(alert_notifications)).scalar_one()


def test_stale_meter_fires_once_and_clears_when_it_reports(
    engine: Engine, source: Store, events: EventLog
) -> None:
    rules = _rules({"id": "stale", "kind": "stale", "severity": "major", "nodata": "alert",
                    "scope": {"site": "hanam-ic", "meter": "gas-main"}})  # fmt: skip
    ev = Evaluator(rules, source, engine, events)
    url = source.ql.url
    # gas-main polls every 10 s: 3x is 30 s.
    write(
        url,
        source.bucket,
        [_reading("gas", "gas-main", {"volume_m3": 1.0}, NOW - timedelta(seconds=20))],
    )
    assert ev.run_pass(NOW).events == []
    later = NOW + timedelta(seconds=15)
    assert ev.run_pass(later).events == [("stale", "meter:hanam-ic/gas-main", Event.FIRING)]
    assert ev.run_pass(later + timedelta(seconds=5)).events == []  # once, not every pass
    back = later + timedelta(seconds=10)
    write(url, source.bucket, [_reading("gas", "gas-main", {"volume_m3": 1.1}, back)])
    assert ev.run_pass(back).events == [("stale", "meter:hanam-ic/gas-main", Event.RESOLVED)]
    assert _notifications(engine) == 2
    stored = InfluxQL(url).rows('SELECT * FROM "alert_events"', source.bucket)
    assert [r["event"] for r in stored] == ["firing", "resolved"]


def test_threshold_leak_and_data_quality(engine: Engine, source: Store, events: EventLog) -> None:
    url, db = source.ql.url, source.bucket
    lines = [
        _reading("water", "water-main", {"flow_m3h": 0.3}, NOW.replace(hour=17, minute=m))
        for m in range(0, 60, 10)
    ]  # 02:00-02:50 KST: never below 0.3 m³/h
    lines += [_reading("electricity", "b1-elec", {"power_kw": 600.0}, NOW - timedelta(seconds=s))
              for s in (10, 100, 200)]  # fmt: skip
    lines += [_reading("heat", "heat-main", {"flow_m3h": 1.0}, NOW - timedelta(seconds=s),
                       quality="bad" if s < 300 else "good") for s in range(0, 600, 60)]  # fmt: skip
    write(url, db, lines)
    rules = _rules(
        {"id": "hot", "kind": "threshold", "severity": "warning", "utility": "electricity",
         "above": 500, "clear": 450, "nodata": "keep_state", "scope": {"site": "hanam-ic"}},
        {"id": "leak", "kind": "leak", "severity": "major", "above": 0.05, "nodata": "keep_state"},
        {"id": "dq", "kind": "data_quality", "severity": "minor", "above": 0.2, "utility": "heat",
         "window": "10m", "nodata": "ok"},
    )  # fmt: skip
    got = set(Evaluator(rules, source, engine, events).run_pass(NOW).events)
    assert got == {
        ("hot", "meter:hanam-ic/b1-elec", Event.FIRING),
        ("leak", "meter:hanam-ic/water-main", Event.FIRING),
        ("dq", "meter:hanam-ic/heat-main", Event.FIRING),
    }


def test_silence_suppresses_delivery_not_state(
    engine: Engine, source: Store, events: EventLog
) -> None:
    from alerts import store

    store.add_silence(engine, {"site": "hanam-ic"}, NOW - timedelta(hours=1),
                      NOW + timedelta(hours=1), "ops", "pump replacement", NOW)  # fmt: skip
    rules = _rules({"id": "stale", "kind": "stale", "severity": "major", "nodata": "alert",
                    "scope": {"site": "hanam-ic"}})  # fmt: skip
    report = Evaluator(rules, source, engine, events).run_pass(NOW)
    assert len(report.events) == 7 and report.silenced == 7 and report.queued == 0
    assert _notifications(engine) == 0
    assert {a.state for a in store.all_alerts(engine)} == {"active_unacked"}


def test_agent_offline_from_last_will_and_from_silence(
    engine: Engine, source: Store, events: EventLog
) -> None:
    status = [
        line("agent_status", {"site": "hanam-ic", "agent": "hanam-gw-a"},
             {"state": "offline", "online": 0.0}, ms(NOW - timedelta(seconds=5))),
        line("agent_status", {"site": "hanam-ic", "agent": "hanam-gw-b"},
             {"state": "online", "online": 1.0}, ms(NOW - timedelta(minutes=10))),
        line("agent_status", {"site": "pyeongdong-ic", "agent": "pyeongdong-gw"},
             {"state": "online", "online": 1.0}, ms(NOW - timedelta(seconds=20))),
    ]  # fmt: skip
    write(source.ql.url, source.bucket, status)
    rules = _rules({"id": "off", "kind": "agent_offline", "severity": "critical",
                    "silent_for": "3m", "nodata": "keep_state"})  # fmt: skip
    got = {o for _, o, _ in Evaluator(rules, source, engine, events).run_pass(NOW).events}
    assert got == {"agent:hanam-gw-a", "agent:hanam-gw-b"}


def test_the_night_window_is_the_last_complete_one_in_kst() -> None:
    from alerts.observers import night
    from alerts.rules import LeakRule

    rule = LeakRule(id="l", kind="leak", severity="major", above=0.1, nodata="ok")
    start, end = night(rule, ms(NOW))
    assert (start, end) == (ms(NOW.replace(hour=17)), ms(NOW.replace(hour=20)))
    start, end = night(rule, ms(NOW.replace(hour=19)))  # 04:00 KST: tonight is not over
    assert end == ms(NOW.replace(hour=20) - timedelta(days=1))


def test_an_acknowledgement_during_a_pass_is_never_overwritten(
    engine: Engine, source: Store, events: EventLog
) -> None:
    from dataclasses import replace

    from alerts import store

    rules = _rules({"id": "stale", "kind": "stale", "severity": "major", "nodata": "alert",
                    "scope": {"site": "hanam-ic", "meter": "gas-main"}})  # fmt: skip
    evaluator = Evaluator(rules, source, engine, events)
    evaluator.run_pass(NOW)
    read_by_pass = store.load(engine, "stale")["meter:hanam-ic/gas-main"]
    acked = store.acknowledge(engine, read_by_pass.id, "kim", "on site", NOW)  # type: ignore[arg-type]
    assert acked and acked.state == "active_acked"
    with engine.begin() as conn:  # the pass writing what it read before the ack
        assert store.save(conn, replace(read_by_pass, last_value=1.0), NOW) is None
    evaluator.run_pass(NOW + timedelta(seconds=1))
    after = store.load(engine, "stale")["meter:hanam-ic/gas-main"]
    assert (after.state, after.acked_by) == ("active_acked", "kim")


def test_a_night_may_cross_midnight() -> None:
    from alerts.observers import night
    from alerts.rules import LeakRule

    rule = LeakRule(id="l", kind="leak", severity="major", above=0.1, nodata="ok",
                    night_start="23:30", night_end="04:00")  # fmt: skip
    start, end = night(rule, ms(NOW))  # 06:00 KST
    assert (start, end) == (ms(NOW.replace(hour=14, minute=30)), ms(NOW.replace(hour=19)))
