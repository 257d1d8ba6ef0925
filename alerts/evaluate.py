"""One evaluation pass: observe every rule, move its alerts, queue what must be announced."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, Engine

from alerts import metrics, store
from alerts.events import EventLog
from alerts.lifecycle import AlertState, Event, step
from alerts.observation import Observation, Verdict
from alerts.observers import Store, observe
from alerts.routing import Route, idempotency_key, payload, routes_for
from alerts.rules import RuleBase, RulesFile
from alerts.store import Note
from telemetry import clock

log = logging.getLogger("alerts")


@dataclass
class PassReport:
    evaluated: int = 0
    failed_rules: list[str] = field(default_factory=list)
    events: list[tuple[str, str, Event]] = field(default_factory=list)
    queued: int = 0
    silenced: int = 0


class Evaluator:
    def __init__(self, rules: RulesFile, source: Store, db: Engine, events: EventLog) -> None:
        self.rules = rules
        self.source = source
        self.db = db
        self.events = events

    def run_pass(self, now: datetime | None = None) -> PassReport:
        now = now or clock.now_utc()
        report = PassReport()
        for rule in self.rules.rules:
            try:
                self._rule(rule, now, report)
            except Exception:  # one rule's failure (InfluxDB down) never stops the others
                log.exception("rule evaluation failed", extra={"rule": rule.id})
                metrics.EVALUATION_FAILURES.labels(rule.id).inc()
                report.failed_rules.append(rule.id)
        metrics.set_firing(store.all_alerts(self.db))
        return report

    def _rule(self, rule: RuleBase, now: datetime, report: PassReport) -> None:
        seen = observe(rule, self.source, int(now.timestamp() * 1000))
        metrics.EVALUATIONS.labels(rule.id).inc()
        report.evaluated += 1
        stored = store.load(self.db, rule.id)
        if rule.absent_is_clear:
            seen += _absent(stored, {o.originator for o in seen})
        changed: list[tuple[AlertState, Event]] = []
        saved: dict[str, AlertState] = {}
        with self.db.begin() as conn:
            silences = store.active_silences(conn, now)
            for observation in seen:
                moved = self._move(conn, rule, stored.get(observation.originator), observation, now)
                if moved is None:
                    continue
                after, event = moved
                saved[after.originator] = after
                if event is None:
                    continue
                changed.append((after, event))
                if store.silenced(after.labels, silences):
                    report.silenced += 1
                    continue
                report.queued += self._announce(conn, after, event, now)
            current = {**stored, **saved}.values()
            unsilenced = [a for a in current if not store.silenced(a.labels, silences)]
            report.queued += self._repeats(conn, unsilenced, now)
        for alert, event in changed:
            report.events.append((alert.rule, alert.originator, event))
            log.info(
                "alert %s", event.value, extra={"rule": rule.id, "originator": alert.originator}
            )
        self.events.write_events(changed, now)

    def _move(
        self,
        conn: Connection,
        rule: RuleBase,
        before: AlertState | None,
        seen: Observation,
        now: datetime,
    ) -> tuple[AlertState, Event | None] | None:
        """The alert stepped and stored; None if nothing changed. A row written meanwhile
        (an acknowledgement) is read again and stepped from there."""
        for _ in range(3):
            after, event = step(rule, before, seen, now)
            if after is None or after == before:
                return None
            stored = store.save(conn, after, now)
            if stored is not None:
                return stored, event
            before = store.load_one(conn, rule.id, seen.originator)
        raise RuntimeError(f"alert {rule.id} {seen.originator} keeps changing under the pass")

    def _announce(
        self,
        conn: Connection,
        alert: AlertState,
        event: Event,
        now: datetime,
        routes: list[Route] | None = None,
        repeat: int = 0,
    ) -> int:
        key = idempotency_key(alert, event, repeat)
        site = self.source.registry.sites.get(alert.site or "")
        body = payload(alert, event, key, site.name_ko if site else None, repeat)
        queued = 0
        for route in (
            routes_for(self.rules, alert.labels, alert.severity) if routes is None else routes
        ):
            note = Note(key, route.target, event.value, body, route.group_key(alert.labels),
                        route.policy.group_wait, route.policy.group_interval)  # fmt: skip
            queued += store.enqueue(conn, alert.id, note, now)  # type: ignore[arg-type]
        return queued

    def _repeats(self, conn: Connection, alerts: list[AlertState], now: datetime) -> int:
        """Active, unacknowledged alerts re-announced every `repeat` of their policies."""
        queued = 0
        for alert in alerts:
            if alert.state != "active_unacked" or alert.fired_at is None:
                continue
            for route in routes_for(self.rules, alert.labels, alert.severity):
                if route.policy.repeat:
                    n = int((now - alert.fired_at).total_seconds() // route.policy.repeat)
                    if n >= 1:
                        queued += self._announce(conn, alert, Event.FIRING, now, [route], n)
        return queued


def _absent(stored: dict[str, AlertState], seen: set[str]) -> list[Observation]:
    """Stored alerts (active or pending) that this pass did not list: their condition is over."""
    return [
        Observation(a.originator, a.site, None, Verdict.CLEAR, a.labels)
        for a in stored.values()
        if a.originator not in seen and (a.active or a.pending_since)
    ]
