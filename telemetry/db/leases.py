"""Leases of the rollup's partitions: the one writer of `rollup_leases`.

A rollup worker owns a partition of the city (a set of districts) while its
lease is live, renews it well within the TTL, and gives it up on a clean stop;
a worker that dies stops renewing, so another takes the partition over once
the lease has expired. `generation` goes up each time the holder changes: a
fencing token, so that work done under an older generation can be told apart.

Every write is one conditional statement, atomic on SQLite and PostgreSQL
alike without table locks: whichever of two concurrent takers commits first
changes the row the other's WHERE clause asks for, so the other changes
nothing. Each caller owns the transaction (as with `silences.py`); nothing here
commits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from telemetry.db.tables import rollup_leases as table


@dataclass(frozen=True)
class Lease:
    """A partition's lease as it stands after an acquire, or as stored (`leases`)."""

    partition: str
    holder: str
    fingerprint: str
    generation: int
    expires_at: datetime
    taken_from: str | None  # the previous holder when this acquire took an expired lease over


def acquire(
    conn: Connection, partition: str, holder: str, fingerprint: str, now: datetime, ttl_s: float
) -> Lease | None:
    """Take the partition if it is free, expired (expires_at <= now) or already ours;
    None while another holder's lease is live."""
    _check_texts(partition=partition, holder=holder, fingerprint=fingerprint)
    expires_at = _expiry(now, ttl_s)
    row = _row(conn, partition)
    if row is None:
        if _insert_new(conn, partition, holder, fingerprint, now, expires_at):
            return Lease(partition, holder, fingerprint, 1, expires_at, None)
        # Another worker inserted the row first: its lease is judged like any other.
        row = _row(conn, partition)
        if row is None:
            return None
    return _take(conn, row, holder, fingerprint, now, expires_at)


def renew(conn: Connection, partition: str, holder: str, now: datetime, ttl_s: float) -> bool:
    """Extend our lease; False when it is no longer ours (expired and taken, or released)."""
    _check_texts(partition=partition, holder=holder)
    expires_at = _expiry(now, ttl_s)
    # An expired lease is not renewed even if nobody took it yet: the holder must
    # acquire again, so it learns that its partition was up for grabs meanwhile.
    extended = conn.execute(
        update(table)
        .where(table.c.partition == partition, table.c.holder == holder, table.c.expires_at > now)
        .values(renewed_at=now, expires_at=expires_at)
    )
    return extended.rowcount == 1


def release(conn: Connection, partition: str, holder: str) -> None:
    """Give it up (only ours): mark it expired now so another takes it at once."""
    _check_texts(partition=partition, holder=holder)
    # Expired as of the holder's last renewal, which every later `now` has passed;
    # the row keeps who held it and when it was last vouched for, for operators.
    conn.execute(
        update(table)
        .where(table.c.partition == partition, table.c.holder == holder)
        .values(expires_at=table.c.renewed_at)
    )


def leases(conn: Connection) -> list[Lease]:
    """Every partition's lease, live or expired, by partition (for status output)."""
    rows = conn.execute(select(table).order_by(table.c.partition)).all()
    return [
        Lease(r.partition, r.holder, r.fingerprint, r.generation, r.expires_at, None) for r in rows
    ]


def _take(
    conn: Connection,
    row: Row[Any],
    holder: str,
    fingerprint: str,
    now: datetime,
    expires_at: datetime,
) -> Lease | None:
    """Update the lease read as `row` to ours, unless it is another's and live, or it
    changed since it was read (then another worker won)."""
    ours = row.holder == holder
    if not ours and row.expires_at > now:
        return None
    generation = row.generation if ours else row.generation + 1
    values: dict[str, Any] = {
        "holder": holder,
        "fingerprint": fingerprint,
        "generation": generation,
        "renewed_at": now,
        "expires_at": expires_at,
    }
    if not ours:
        values["acquired_at"] = now
    # The guard repeats the judgement in SQL, so a concurrent taker or renewal that
    # committed after the read makes this change nothing; pinning the generation read
    # keeps `taken_from` and the new generation true to the row actually replaced.
    taken = conn.execute(
        update(table)
        .where(
            table.c.partition == row.partition,
            table.c.generation == row.generation,
            or_(table.c.holder == holder, table.c.expires_at <= now),
        )
        .values(**values)
    )
    if taken.rowcount != 1:
        return None
    taken_from = None if ours else row.holder
    return Lease(row.partition, holder, fingerprint, generation, expires_at, taken_from)


def _insert_new(
    conn: Connection,
    partition: str,
    holder: str,
    fingerprint: str,
    now: datetime,
    expires_at: datetime,
) -> bool:
    """Insert generation 1; False when another worker's insert of the partition came first.

    ON CONFLICT DO NOTHING rather than catching IntegrityError: the losing insert
    raises nothing, so the caller's transaction goes on without a savepoint (which
    SQLite's Python driver handles unreliably)."""
    new = _dialect_insert(conn).values(
        partition=partition,
        holder=holder,
        fingerprint=fingerprint,
        generation=1,
        acquired_at=now,
        renewed_at=now,
        expires_at=expires_at,
    )
    # RETURNING, not rowcount: drivers report an insert's rowcount unevenly.
    done = conn.execute(new.on_conflict_do_nothing().returning(table.c.partition))
    return done.first() is not None


def _dialect_insert(conn: Connection) -> postgresql.Insert | sqlite.Insert:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def _row(conn: Connection, partition: str) -> Row[Any] | None:
    return conn.execute(select(table).where(table.c.partition == partition)).first()


def _check_texts(**fields: str) -> None:
    """Each non-empty and within its column, so both engines refuse alike (SQLite would
    store an over-long value that PostgreSQL refuses)."""
    for field, value in fields.items():
        limit = table.c[field].type.length  # type: ignore[attr-defined]
        if not value or len(value) > limit:
            raise ValueError(f"{field}: give 1 to {limit} characters, got {len(value)}")


def _expiry(now: datetime, ttl_s: float) -> datetime:
    """`now` + the TTL, after checking both."""
    if now.tzinfo is None:
        raise ValueError(f"now: naive datetime {now.isoformat()}: give a time zone")
    if not (math.isfinite(ttl_s) and ttl_s > 0):
        raise ValueError(f"ttl_s: must be a positive number of seconds, got {ttl_s!r}")
    return now + timedelta(seconds=ttl_s)
