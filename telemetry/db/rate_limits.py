"""Token buckets as GCRA (the generic cell rate algorithm), in memory or in the platform database.

A bucket of `burst` tokens refilled at `rate` per second is one number per key:
its theoretical arrival time (TAT), the moment it would be full again. A request
is allowed when TAT, moved on by one interval (1/rate), is at most `burst`
intervals ahead of now. One number means one conditional UPDATE makes a take
atomic on every engine (SQLite and PostgreSQL alike), so every API process on
the same database shares one budget per key.

A row whose TAT has passed is a full bucket, exactly as no row at all: `purge`
deletes such rows without changing any answer.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from sqlalchemy import Engine, Insert, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from telemetry.db.tables import rate_limits as table

EPSILON = 1e-9  # float slack: a take exactly at the edge is allowed
CAS_TRIES = 20  # concurrent takes of one key retry their compare-and-set


@dataclass(frozen=True, slots=True)
class Verdict:
    """One take: allowed or not, what remains, when the bucket is full, when to retry."""

    allowed: bool
    remaining: int  # whole requests left after this one
    reset_s: float  # seconds until the bucket is full again
    retry_after_s: float  # 0 when allowed; else seconds until one request is allowed


def gcra(tat: float | None, now: float, rate: float, burst: int) -> tuple[float, Verdict]:
    """The new TAT to store (unchanged when refused) and the verdict."""
    interval, window = 1.0 / rate, burst / rate
    start = now if tat is None else max(tat, now)
    moved = start + interval
    if moved - now > window + EPSILON:
        wait = moved - now - window
        return start, Verdict(False, 0, start - now, wait)
    remaining = math.floor((window - (moved - now)) / interval + EPSILON)
    return moved, Verdict(True, max(0, remaining), moved - now, 0.0)


def bucket_id(limit: str, key: str) -> str:
    """The row's key: the limit's name and a digest of the key (an address, a name)."""
    return f"{limit[:31]}:{hashlib.sha256(key.encode()).hexdigest()}"


def take(engine: Engine, bucket: str, rate: float, burst: int, now: float) -> Verdict:
    """One request against `bucket`, shared by every process on `engine`: read the TAT,
    then store the new one only if nobody changed it meanwhile (else read again)."""
    for _ in range(CAS_TRIES):
        with engine.connect() as conn:
            stored = conn.execute(select(table.c.tat).where(table.c.bucket == bucket)).scalar()
        new, verdict = gcra(stored, now, rate, burst)
        if not verdict.allowed:
            return verdict
        with engine.begin() as conn:
            if stored is None:
                # RETURNING, not rowcount: drivers report an insert's rowcount unevenly.
                done = conn.execute(_insert_new(engine, bucket, new)).first() is not None
            else:
                done = (
                    conn.execute(
                        update(table)
                        .where(table.c.bucket == bucket, table.c.tat == stored)
                        .values(tat=new)
                    ).rowcount
                    == 1
                )
        if done:
            return verdict
    raise RuntimeError(f"rate limit {bucket.split(':')[0]}: no stable read after {CAS_TRIES}")


def _insert_new(engine: Engine, bucket: str, tat: float) -> Insert:
    """INSERT that does nothing when another process inserted the row first."""
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    new = dialect.insert(table).values(bucket=bucket, tat=tat).on_conflict_do_nothing()
    return new.returning(table.c.bucket)


def purge(engine: Engine, now: float) -> int:
    """Delete full buckets (TAT passed); the number deleted."""
    with engine.begin() as conn:
        return conn.execute(delete(table).where(table.c.tat < now)).rowcount
