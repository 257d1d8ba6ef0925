"""The lifecycle on its own: pending, firing, keep-firing, hysteresis, NoData, acknowledgement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alerts.lifecycle import AlertState, Event, step
from alerts.observation import Observation, Verdict
from alerts.rules import ThresholdRule
from telemetry.db.alert_ack import acknowledged

T0 = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)
RULE = ThresholdRule(
    id="hot", kind="threshold", severity="major", utility="electricity",
    above=10, clear=8, pending=60, keep_firing=30, nodata="keep_state",
)  # fmt: skip


def _run(verdicts: list[tuple[int, Verdict]]) -> tuple[AlertState | None, list[tuple[int, Event]]]:
    alert: AlertState | None = None
    events = []
    for second, verdict in verdicts:
        seen = Observation("meter:a/m", "a", 1.0, verdict, {"rule": "hot"})
        alert, event = step(RULE, alert, seen, T0 + timedelta(seconds=second))
        if event:
            events.append((second, event))
    return alert, events


def test_fires_only_after_the_pending_period() -> None:
    alert, events = _run([(0, Verdict.BREACH), (30, Verdict.BREACH), (60, Verdict.BREACH)])
    assert events == [(60, Event.FIRING)]
    assert (
        alert and alert.state == "active_unacked" and alert.fired_at == T0 + timedelta(seconds=60)
    )


def test_a_pause_in_the_condition_restarts_the_pending_wait() -> None:
    alert, events = _run([(0, Verdict.BREACH), (50, Verdict.BAND), (70, Verdict.BREACH)])
    assert events == []
    assert alert and alert.pending_since == T0 + timedelta(seconds=70) and alert.state is None


def test_hysteresis_band_keeps_a_firing_alert_and_keep_firing_delays_the_clear() -> None:
    seq = [(0, Verdict.BREACH), (60, Verdict.BREACH), (70, Verdict.BAND), (80, Verdict.CLEAR),
           (95, Verdict.CLEAR)]  # fmt: skip
    alert, events = _run(seq)
    assert events == [(60, Event.FIRING), (95, Event.RESOLVED)]
    assert alert and alert.state == "cleared_unacked"


def test_keep_state_nodata_changes_nothing() -> None:
    alert, events = _run([(0, Verdict.BREACH), (40, Verdict.KEEP), (60, Verdict.BREACH)])
    assert events == [(60, Event.FIRING)]
    assert alert and alert.pending_since is None


def test_acknowledgement_states() -> None:
    assert acknowledged("active_unacked") == "active_acked"
    assert acknowledged("cleared_unacked") == "cleared_acked"
    assert acknowledged("active_acked") is None and acknowledged(None) is None


def test_a_healthy_originator_needs_no_row() -> None:
    seen = Observation("meter:a/m", "a", 1.0, Verdict.CLEAR, {})
    assert step(RULE, None, seen, T0) == (None, None)
    cleared, _ = _run([(0, Verdict.BREACH), (60, Verdict.BREACH), (95, Verdict.CLEAR)])
    assert cleared and step(RULE, cleared, seen, T0 + timedelta(seconds=200)) == (cleared, None)
