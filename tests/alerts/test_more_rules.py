"""Spike vs baseline, solar dark and counter events against a real InfluxDB and both engines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from alerts.baseline import WEEK_MS, baseline_limit, last_hour
from alerts.evaluate import Evaluator
from alerts.events import EventLog
from alerts.lifecycle import Event
from alerts.observers import Store
from alerts.rules import RulesFile, SpikeRule
from alerts.sun import sun_elevation
from telemetry.influx_schema import ROLLUP_RP
from telemetry.lineproto import line
from tests.alerts.conftest import ms, write

TAGS = {
    "site": "hanam-ic",
    "district": "29200",
    "dong": "2920064000",
    "building_type": "industrial",
}
SUMMER_NOON = datetime(2026, 6, 21, 3, 30, tzinfo=UTC)  # 12:30 KST


def _evaluator(engine: Engine, source: Store, events: EventLog, *rules: dict) -> Evaluator:
    return Evaluator(RulesFile.model_validate({"rules": list(rules)}), source, engine, events)


@pytest.mark.parametrize(
    ("when", "low", "high"),
    [
        (SUMMER_NOON, 77, 80),  # 90 - 35.16 + 23.44
        (datetime(2026, 12, 21, 3, 30, tzinfo=UTC), 30, 33),  # 90 - 35.16 - 23.44
        (datetime(2026, 6, 21, 15, 0, tzinfo=UTC), -90, -20),  # midnight KST
        (datetime(2026, 3, 20, 21, 40, tzinfo=UTC), -2, 2),  # equinox sunrise, 06:40 KST
    ],
)
def test_sun_elevation_over_gwangju(when: datetime, low: float, high: float) -> None:
    assert low <= sun_elevation(when) <= high


def test_baseline_needs_history_and_uses_median_and_mad() -> None:
    rule = SpikeRule(id="s", kind="spike", severity="minor", utility="electricity", k=3,
                     nodata="ok")  # fmt: skip
    assert baseline_limit(rule, [10.0, 12.0]) is None  # min_weeks 3
    assert baseline_limit(rule, [10.0, 12.0, 11.0, 30.0]) == pytest.approx(11.5 + 3 * 1.0)


def test_spike_fires_once_for_its_hour(engine: Engine, source: Store, events: EventLog) -> None:
    now = datetime(2026, 1, 5, 10, 20, tzinfo=UTC)
    rule = {"id": "spike", "kind": "spike", "severity": "minor", "utility": "electricity",
            "nodata": "keep_state", "scope": {"site": "hanam-ic"}}  # fmt: skip
    hour = last_hour(SpikeRule.model_validate(rule), ms(now))
    assert hour == ms(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    history = {
        "b1-elec": [40.0, 10.0, 11.0, 9.0, 10.0],
        "b2-elec": [11.0, 10.0, 11.0, 9.0, 10.0],  # within median + 3 × MAD (11.5)
        "b3-elec": [90.0, 10.0, 11.0],
    }  # fmt: skip  (b3: two weeks only, too little)
    lines = [
        line("meter_consumption_1h", {**TAGS, "meter": m, "utility": "electricity"},
             {"consumption": v, "resets": 0.0}, hour - week * WEEK_MS)
        for m, values in history.items() for week, v in enumerate(values)
    ]  # fmt: skip
    write(source.ql.url, source.bucket, lines, rp=ROLLUP_RP)
    ev = _evaluator(engine, source, events, rule)
    assert ev.run_pass(now).events == [("spike", "meter:hanam-ic/b1-elec", Event.FIRING)]
    assert ev.run_pass(now + timedelta(minutes=20)).events == []
    # Next hour has no figure yet for any meter: keep_state, still one alert.
    assert ev.run_pass(now + timedelta(hours=1)).events == []


def test_solar_dark_in_daylight_only(engine: Engine, source: Store, events: EventLog) -> None:
    dark = [line("solar", {**TAGS, "meter": "pv-roof", "quality": "good"},
                 {"power_kw": 0.0, "energy_kwh": 100.0}, ms(SUMMER_NOON - timedelta(minutes=m)))
            for m in range(0, 30, 5)]  # fmt: skip
    write(source.ql.url, source.bucket, dark)
    rule = {"id": "dark", "kind": "solar_dark", "severity": "major", "nodata": "keep_state",
            "scope": {"site": "hanam-ic"}, "window": "20m"}  # fmt: skip
    ev = _evaluator(engine, source, events, rule)
    night = SUMMER_NOON + timedelta(hours=12)
    assert ev.run_pass(night).events == []
    assert ev.run_pass(SUMMER_NOON).events == [("dark", "meter:hanam-ic/pv-roof", Event.FIRING)]
    sunny = line("solar", {**TAGS, "meter": "pv-roof", "quality": "good"},
                 {"power_kw": 3.5, "energy_kwh": 101.0}, ms(SUMMER_NOON + timedelta(minutes=5)))  # fmt: skip
    write(source.ql.url, source.bucket, [sunny])
    later = SUMMER_NOON + timedelta(minutes=6)
    assert ev.run_pass(later).events == [("dark", "meter:hanam-ic/pv-roof", Event.RESOLVED)]


def test_counter_event_announced_once_then_cleared(
    engine: Engine, source: Store, events: EventLog
) -> None:
    now = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    glitch = line("counter_events", {**TAGS, "meter": "b1-elec", "utility": "electricity",
                                     "field": "energy_kwh"},
                  {"kind": "glitch", "value": 9e6, "previous": 1200.0, "amount": 0.0},
                  ms(now - timedelta(minutes=5)))  # fmt: skip
    write(source.ql.url, source.bucket, [glitch], rp=ROLLUP_RP)
    rule = {"id": "counters", "kind": "counter_events", "severity": "warning", "nodata": "ok",
            "events": ["glitch", "reset"], "window": "30m"}  # fmt: skip
    ev = _evaluator(engine, source, events, rule)
    first = ev.run_pass(now).events
    assert first == [("counters", "meter:hanam-ic/b1-elec", Event.FIRING)]
    assert ev.run_pass(now + timedelta(minutes=1)).events == []
    after = now + timedelta(minutes=40)
    assert ev.run_pass(after).events == [("counters", "meter:hanam-ic/b1-elec", Event.RESOLVED)]
    # An event kind the rule does not watch raises nothing.
    rollover = line("counter_events", {**TAGS, "meter": "b2-elec", "utility": "electricity",
                                       "field": "energy_kwh"},
                    {"kind": "rollover", "value": 1.0, "previous": 99999.0, "amount": 2.0},
                    ms(after))  # fmt: skip
    write(source.ql.url, source.bucket, [rollover], rp=ROLLUP_RP)
    assert ev.run_pass(after + timedelta(seconds=1)).events == []
