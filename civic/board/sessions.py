"""Residents' sessions, kept on the server: created at sign-in, refused once expired or revoked.

A session's id is a random string (`secrets.token_urlsafe(32)`, 256 bits)
that only the resident's browser holds; the table keeps its SHA-256, so a
reader of the database cannot sign in as anyone. A session ends at the first
of: `idle` without use (the idle deadline moves with use, never past the
absolute one), `absolute` after sign-in whatever the use, its revocation
(logout, "sign out everywhere", a new or revoked participation code of the
household, the household's move-out). An ended session is never brought back: signing in again makes a
new id.

No HTTP here: api/session.py puts the id in a cookie, api/guards.py asks
`lookup` about every request that carries one.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Connection, Engine, insert, select, update

from telemetry.db.tables import resident_sessions, residents

ID_BYTES = 32
MAX_ID_CHARS = 64  # token_urlsafe(32) is 43 characters; anything longer is not ours
# Seen-at is written at most this often per session (a page view is not a write each time).
TOUCH_EVERY = timedelta(minutes=1)


class Ended(StrEnum):
    """Why a session was revoked (revoked_reason)."""

    LOGOUT = "logout"
    EVERYWHERE = "signed_out_everywhere"
    ROTATED = "signed_in_again"
    CODE_REISSUED = "code_reissued"
    CODE_REVOKED = "code_revoked"
    MOVED_OUT = "moved_out"


@dataclass(frozen=True, slots=True)
class Lifetimes:
    idle: timedelta
    absolute: timedelta

    @classmethod
    def days(cls, idle: int, absolute: int) -> Lifetimes:
        return cls(timedelta(days=idle), timedelta(days=absolute))


@dataclass(frozen=True, slots=True)
class Active:
    """A live session and its resident, as a request sees them."""

    session_id: str  # the raw id, as the browser sent it
    resident_id: int
    resident_key: str  # the household's HMAC (codes.household_key)
    site: str
    dong: str
    blocked: bool
    expires_at: datetime


def new_id() -> str:
    return secrets.token_urlsafe(ID_BYTES)


def id_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def create(engine: Engine, resident_id: int, now: datetime, life: Lifetimes) -> str:
    """A new session for the resident; its id, to hand to the browser once."""
    session_id = new_id()
    expires = now + life.absolute
    with engine.begin() as conn:
        conn.execute(
            insert(resident_sessions).values(
                id_hash=id_hash(session_id),
                resident_id=resident_id,
                created_at=now,
                last_seen_at=now,
                idle_expires_at=min(now + life.idle, expires),
                expires_at=expires,
            )
        )
    return session_id


def lookup(engine: Engine, session_id: str, now: datetime, life: Lifetimes) -> Active | None:
    """The live session with this id and its resident (use moves the idle deadline), or None."""
    if not session_id or len(session_id) > MAX_ID_CHARS:
        return None
    s, r = resident_sessions.c, residents.c
    query = (
        select(s.last_seen_at, s.expires_at, r.id, r.resident_key, r.site, r.dong, r.blocked_at)
        .join_from(resident_sessions, residents, s.resident_id == r.id)
        .where(
            s.id_hash == id_hash(session_id),
            s.revoked_at.is_(None),
            s.idle_expires_at > now,
            s.expires_at > now,
        )
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        touch(engine, session_id, now, life)
    return Active(
        session_id=session_id,
        resident_id=row.id,
        resident_key=row.resident_key,
        site=row.site,
        dong=row.dong,
        blocked=row.blocked_at is not None,
        expires_at=row.expires_at,
    )


def touch(engine: Engine, session_id: str, now: datetime, life: Lifetimes) -> None:
    """Used now: the idle deadline moves to now + idle (never past the absolute end)."""
    s = resident_sessions.c
    with engine.begin() as conn:
        row = conn.execute(
            select(s.expires_at).where(s.id_hash == id_hash(session_id), s.revoked_at.is_(None))
        ).first()
        if row is None:
            return
        conn.execute(
            update(resident_sessions)
            .where(s.id_hash == id_hash(session_id), s.revoked_at.is_(None))
            .values(last_seen_at=now, idle_expires_at=min(now + life.idle, row.expires_at))
        )


def revoke(engine: Engine, session_id: str, now: datetime, why: Ended) -> bool:
    """End one session (logout, rotation); whether it was live."""
    if not session_id or len(session_id) > MAX_ID_CHARS:
        return False
    s = resident_sessions.c
    with engine.begin() as conn:
        done = conn.execute(
            update(resident_sessions)
            .where(s.id_hash == id_hash(session_id), s.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason=why.value)
        )
    return done.rowcount == 1


def revoke_all(conn: Connection, resident_id: int, now: datetime, why: Ended) -> int:
    """End every session of a resident (one household); how many were not yet revoked."""
    s = resident_sessions.c
    done = conn.execute(
        update(resident_sessions)
        .where(s.resident_id == resident_id, s.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=why.value)
    )
    return done.rowcount


def revoke_household(conn: Connection, resident_key: str, now: datetime, why: Ended) -> int:
    """End every session of the household's account, if it has one (codes reissued, revoked)."""
    found = conn.execute(
        select(residents.c.id).where(residents.c.resident_key == resident_key)
    ).scalar_one_or_none()
    return 0 if found is None else revoke_all(conn, found, now, why)


def sign_out_everywhere(engine: Engine, resident_id: int, now: datetime) -> int:
    with engine.begin() as conn:
        return revoke_all(conn, resident_id, now, Ended.EVERYWHERE)
