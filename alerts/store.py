"""Alert state in the platform database: read a rule's alerts, write a pass's changes.

A state change and the notifications announcing it are one transaction, so a
crash between them is impossible: after SIGKILL either both happened or
neither did, and the next pass decides again from what is stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, or_, select, update

from alerts.lifecycle import AlertState
from telemetry.db.alert_ack import acknowledge_row
from telemetry.db.silences import insert_silence
from telemetry.db.tables import alert_notifications, alert_silences, alerts

_STATE_FIELDS = [f.name for f in fields(AlertState)]


@dataclass(frozen=True)
class Note:
    """One notification to queue: for which target, under which key, in which group."""

    key: str
    target: str
    event: str
    payload: dict[str, Any]
    group_key: str | None = None
    group_wait: float = 0.0
    group_interval: float = 0.0


def load(engine: Engine, rule: str) -> dict[str, AlertState]:
    """Every stored alert of `rule`, by originator."""
    with engine.connect() as conn:
        rows = conn.execute(select(alerts).where(alerts.c.rule == rule)).mappings()
        return {row["originator"]: _state(row) for row in rows}


def all_alerts(engine: Engine, *, site: str | None = None) -> list[AlertState]:
    query = select(alerts).where(alerts.c.state.is_not(None)).order_by(alerts.c.id)
    if site:
        query = query.where(alerts.c.site == site)
    with engine.connect() as conn:
        return [_state(row) for row in conn.execute(query).mappings()]


def save(conn: Connection, alert: AlertState, now: datetime) -> AlertState | None:
    """Insert or update one alert; None if the row changed since it was read (reload it)."""
    version = alert.version + 1
    values = {k: v for k, v in asdict(alert).items() if k != "id"}
    values |= {"updated_at": now, "version": version}
    if alert.id is None:
        new_id = conn.execute(insert(alerts).values(**values)).inserted_primary_key[0]
        return replace(alert, id=new_id, version=version)
    done = conn.execute(
        update(alerts)
        .where(alerts.c.id == alert.id, alerts.c.version == alert.version)
        .values(**values)
    )
    return replace(alert, version=version) if done.rowcount == 1 else None


def load_one(conn: Connection, rule: str, originator: str) -> AlertState | None:
    query = select(alerts).where(alerts.c.rule == rule, alerts.c.originator == originator)
    row = conn.execute(query).mappings().first()
    return None if row is None else _state(row)


def enqueue(conn: Connection, alert_id: int, note: Note, now: datetime) -> bool:
    """Queue one notification unless this key already went to this target (False then)."""
    if conn.execute(
        select(alert_notifications.c.id).where(
            alert_notifications.c.idempotency_key == note.key,
            alert_notifications.c.target == note.target,
        )
    ).first():
        return False
    conn.execute(
        insert(alert_notifications).values(
            alert_id=alert_id,
            idempotency_key=note.key,
            target=note.target,
            group_key=note.group_key,
            event=note.event,
            payload=note.payload,
            created_at=now,
            attempts=0,
            next_attempt_at=_when(conn, note, now),
        )
    )
    return True


def _when(conn: Connection, note: Note, now: datetime) -> datetime:
    """Alone: now. In a group: with the group's waiting message, else group_wait from now
    but no sooner than group_interval after the group's last message."""
    if note.group_key is None:
        return now
    n = alert_notifications
    of_group = n.c.group_key == note.group_key
    waiting = conn.execute(
        select(func.max(n.c.next_attempt_at)).where(
            of_group, n.c.delivered_at.is_(None), n.c.dead_at.is_(None), n.c.attempts == 0
        )
    ).scalar()
    if waiting is not None:
        return waiting
    last = conn.execute(select(func.max(n.c.delivered_at)).where(of_group)).scalar()
    soonest = now + timedelta(seconds=note.group_wait)
    if last is None:
        return soonest
    return max(soonest, last + timedelta(seconds=note.group_interval))


def acknowledge(
    engine: Engine, alert_id: int, by: str, note: str, now: datetime, site: str | None = None
) -> AlertState | None:
    """Acknowledge an alert (optionally only within `site`); None if nothing to acknowledge."""
    with engine.begin() as conn:
        sites = None if site is None else {site}
        row = acknowledge_row(conn, alert_id, by, note, now, sites)
        return None if row is None else _state(row)


def add_silence(
    engine: Engine,
    matchers: dict[str, str],
    starts: datetime,
    ends: datetime,
    by: str,
    comment: str,
    now: datetime,
) -> int:
    with engine.begin() as conn:
        return insert_silence(
            conn,
            matchers=matchers,
            starts_at=starts,
            ends_at=ends,
            created_by=by,
            comment=comment,
            created_at=now,
        )


def active_silences(conn: Connection, now: datetime) -> list[dict[str, str]]:
    query = select(alert_silences.c.matchers).where(
        alert_silences.c.starts_at <= now, alert_silences.c.ends_at > now
    )
    return [row[0] for row in conn.execute(query)]


def silenced(labels: dict[str, str], silences: Iterable[dict[str, str]]) -> bool:
    return any(all(labels.get(k) == v for k, v in m.items()) for m in silences)


def _state(row: Any) -> AlertState:
    return AlertState(**{k: row[k] for k in _STATE_FIELDS})


def purge_notifications(engine: Engine, before: datetime) -> int:
    """Delete notifications delivered or dead-lettered before `before`; returns how many."""
    n = alert_notifications
    finished = or_(n.c.delivered_at < before, n.c.dead_at < before)
    with engine.begin() as conn:
        return conn.execute(delete(n).where(finished)).rowcount
