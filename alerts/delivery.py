"""The delivery worker: drains the notification outbox beside evaluation, never in its way.

Each due notification is tried once per wake-up; a failure schedules the next
attempt with exponential backoff; after the last allowed attempt the row gets
`dead_at` (the dead-letter record) and is never tried again. A delivered row
gets `delivered_at` only after the target accepted it, so a crash in between
sends it again with the same idempotency key, and the receiver drops the copy.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select, update

from alerts import metrics
from alerts.rules import EmailTarget, RulesFile, WebhookTarget
from alerts.senders import DeliveryError, send_email, send_webhook
from telemetry.db.tables import alert_notifications as n

log = logging.getLogger("alerts.delivery")
BATCH = 50


class Deliverer:
    def __init__(self, rules: RulesFile, db: Engine) -> None:
        self.rules = rules
        self.db = db

    def run_due(self, now: datetime | None = None) -> int:
        """Try every due notification once; returns how many were delivered."""
        now = now or datetime.now(UTC)
        query = (
            select(n.c.id, n.c.target, n.c.idempotency_key, n.c.payload, n.c.attempts)
            .where(n.c.delivered_at.is_(None), n.c.dead_at.is_(None), n.c.next_attempt_at <= now)
            .order_by(n.c.next_attempt_at, n.c.id)
            .limit(BATCH)
        )
        with self.db.connect() as conn:
            due = conn.execute(query).all()
        return sum(self._attempt(row) for row in due)

    def _attempt(self, row: object) -> bool:
        rid, target_id, key, payload, attempts = row  # type: ignore[misc]
        target = self.rules.targets.get(target_id)
        try:
            if isinstance(target, WebhookTarget):
                send_webhook(target, key, payload)
            elif isinstance(target, EmailTarget):
                send_email(target, key, payload)
            else:
                raise DeliveryError(f"target '{target_id}' is no longer in the rules file")
        except DeliveryError as exc:
            self._failed(rid, target_id, attempts + 1, str(exc))
            return False
        done = datetime.now(UTC)
        self._set(rid, attempts=attempts + 1, delivered_at=done, last_error=None)
        metrics.DELIVERIES.labels(target_id).inc()
        return True

    def _failed(self, rid: int, target: str, attempts: int, error: str) -> None:
        now = datetime.now(UTC)
        metrics.DELIVERY_FAILURES.labels(target).inc()
        policy = self.rules.delivery
        if attempts >= policy.max_attempts:
            self._set(rid, attempts=attempts, dead_at=now, last_error=error)
            metrics.DEAD_LETTERS.labels(target).inc()
            log.error("notification dead-lettered", extra={"target": target, "error": error})
            return
        wait = min(policy.max_backoff, policy.backoff * 2 ** (attempts - 1))
        self._set(rid, attempts=attempts, next_attempt_at=now + timedelta(seconds=wait),
                  last_error=error)  # fmt: skip
        log.warning(
            "delivery failed, retry in %.1fs", wait, extra={"target": target, "error": error}
        )

    def _set(self, rid: int, **values: object) -> None:
        with self.db.begin() as conn:
            conn.execute(update(n).where(n.c.id == rid).values(**values))

    def loop(self, stop: threading.Event, poll_s: float = 0.5) -> None:
        while not stop.is_set():
            try:
                self.run_due()
            except Exception:  # the database away for a moment: try again next poll
                log.exception("delivery pass failed")
            stop.wait(poll_s)
