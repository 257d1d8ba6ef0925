"""One alert per (rule, originator): how a pass's verdict moves its state.

States (ThingsBoard's): active_unacked → active_acked (acknowledged) →
cleared_acked, or active_unacked → cleared_unacked → cleared_acked. A state of
None means the alert never fired. A condition must hold for the rule's pending
period before it fires, and an active alert stays active for keep_firing after
the condition last held; both are measured from times stored in the row, so a
restart resumes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from alerts.observation import Observation, Verdict
from alerts.rules import RuleBase

ACTIVE = ("active_unacked", "active_acked")


class Event(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"
    ACKNOWLEDGED = "acknowledged"  # recorded in alert_events, never announced


@dataclass(frozen=True)
class AlertState:
    rule: str
    originator: str
    site: str | None
    severity: str
    state: str | None = None
    pending_since: datetime | None = None
    last_breach_at: datetime | None = None
    fired_at: datetime | None = None
    cleared_at: datetime | None = None
    acked_at: datetime | None = None
    acked_by: str | None = None
    ack_note: str | None = None
    last_value: float | None = None
    labels: dict[str, str] = field(default_factory=dict)
    id: int | None = None
    version: int = 0  # the stored row's version (0: not stored yet)

    @property
    def active(self) -> bool:
        return self.state in ACTIVE


def step(
    rule: RuleBase, current: AlertState | None, seen: Observation, now: datetime
) -> tuple[AlertState | None, Event | None]:
    """The alert after this pass, and the event to announce (if any)."""
    quiet = current is None or not (current.active or current.pending_since)
    if quiet and seen.verdict is not Verdict.BREACH:
        return current, None  # nothing to track: no row written for a healthy meter
    alert = current or AlertState(rule.id, seen.originator, seen.site, rule.severity.value)
    alert = replace(alert, labels=seen.labels, severity=rule.severity.value)
    if seen.verdict is Verdict.KEEP:
        return alert, None
    alert = replace(alert, last_value=seen.value)
    if seen.verdict is Verdict.BREACH:
        return _breach(rule, alert, now)
    if seen.verdict is Verdict.CLEAR and alert.active:
        return _maybe_clear(rule, alert, now)
    return replace(alert, pending_since=None), None


def _breach(rule: RuleBase, alert: AlertState, now: datetime) -> tuple[AlertState, Event | None]:
    alert = replace(alert, last_breach_at=now)
    if alert.active:
        return alert, None
    since = alert.pending_since or now
    if now - since < timedelta(seconds=rule.pending):
        return replace(alert, pending_since=since), None
    fired = replace(
        alert,
        state="active_unacked",
        pending_since=None,
        fired_at=now,
        cleared_at=None,
        acked_at=None,
        acked_by=None,
        ack_note=None,
    )
    return fired, Event.FIRING


def _maybe_clear(
    rule: RuleBase, alert: AlertState, now: datetime
) -> tuple[AlertState, Event | None]:
    last = alert.last_breach_at or now
    if now - last < timedelta(seconds=rule.keep_firing):
        return alert, None
    state = "cleared_acked" if alert.state == "active_acked" else "cleared_unacked"
    return replace(alert, state=state, cleared_at=now, pending_since=None), Event.RESOLVED
