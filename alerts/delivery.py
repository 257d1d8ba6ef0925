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
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Engine, select, update

from alerts import metrics
from alerts.routing import group_body, group_idempotency_key
from alerts.rules import RulesFile
from alerts.senders import DeliveryError, send
from telemetry import clock
from telemetry.db.tables import alert_notifications as n

log = logging.getLogger("alerts.delivery")
BATCH = 200


class Due(NamedTuple):
    id: int
    target: str
    key: str
    payload: dict[str, Any]
    attempts: int
    group_key: str | None


class Deliverer:
    def __init__(self, rules: RulesFile, db: Engine) -> None:
        self.rules = rules
        self.db = db

    def run_due(self, now: datetime | None = None) -> int:
        """Try every due message once; returns how many notifications were delivered."""
        now = now or clock.now_utc()
        query = (
            select(
                n.c.id, n.c.target, n.c.idempotency_key, n.c.payload, n.c.attempts, n.c.group_key
            )
            .where(n.c.delivered_at.is_(None), n.c.dead_at.is_(None), n.c.next_attempt_at <= now)
            .order_by(n.c.next_attempt_at, n.c.id)
            .limit(BATCH)
        )
        with self.db.connect() as conn:
            due = [Due(*row) for row in conn.execute(query)]
        groups: dict[str, list[Due]] = {}
        for row in due:
            groups.setdefault(row.group_key or f"single:{row.id}", []).append(row)
        return sum(self._attempt(rows) for rows in groups.values())

    def _attempt(self, rows: list[Due]) -> int:
        target = rows[0].target
        if rows[0].group_key is None:
            key, body = rows[0].key, rows[0].payload
        else:
            key = group_idempotency_key([r.key for r in rows])
            body = group_body(key, rows[0].group_key, [r.payload for r in rows])
        try:
            send(self.rules.targets.get(target), key, body)
        except DeliveryError as exc:
            self._failed(rows, target, str(exc))
            return 0
        done = clock.now_utc()
        for row in rows:
            self._set(row.id, attempts=row.attempts + 1, delivered_at=done, last_error=None)
        metrics.DELIVERIES.labels(target).inc(len(rows))
        return len(rows)

    def _failed(self, rows: list[Due], target: str, error: str) -> None:
        now = clock.now_utc()
        metrics.DELIVERY_FAILURES.labels(target).inc()
        policy = self.rules.delivery
        attempts = max(r.attempts for r in rows) + 1
        if attempts >= policy.max_attempts:
            for row in rows:
                self._set(row.id, attempts=row.attempts + 1, dead_at=now, last_error=error)
            metrics.DEAD_LETTERS.labels(target).inc(len(rows))
            log.error("notification dead-lettered", extra={"target": target, "error": error})
            return
        wait = min(policy.max_backoff, policy.backoff * 2 ** (attempts - 1))
        retry = now + timedelta(seconds=wait)
        for row in rows:
            self._set(row.id, attempts=row.attempts + 1, next_attempt_at=retry, last_error=error)
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
