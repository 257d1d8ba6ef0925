"""Staff sessions, kept in the database: a random id in the browser, its SHA-256 here.

A session ends at whichever comes first: `idle` without use (moved forward
on each use, at most once a minute so reads stay reads) or `absolute` after
sign-in (fixed). Signing out revokes the row; disabling an account or
changing its password revokes all of its rows (accounts.revoke_all). A
reader of the table cannot sign in with what it holds.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, insert, select, update

from staff.accounts import StaffUser, to_user
from telemetry.db import audit
from telemetry.db.tables import staff_sessions, staff_users

IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=10)
TOUCH_EVERY = timedelta(seconds=60)
ID_BYTES = 32
MAX_ID_LEN = 64


def id_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class StaffSession:
    id: str  # the random id the browser holds (never stored)
    user: StaffUser
    created_at: datetime
    expires_at: datetime


class StaffSessions:
    def __init__(
        self,
        engine: Engine,
        clock: Callable[[], datetime] = _utc_now,
        idle: timedelta = IDLE,
        absolute: timedelta = ABSOLUTE,
    ) -> None:
        self.engine, self.clock, self.idle, self.absolute = engine, clock, idle, absolute

    def create(self, user: StaffUser, detail: dict[str, object] | None = None) -> StaffSession:
        """A new session (a new id at every sign-in); the sign-in is recorded."""
        session_id = secrets.token_urlsafe(ID_BYTES)
        now = self.clock()
        expires = now + self.absolute
        with self.engine.begin() as conn:
            conn.execute(
                insert(staff_sessions).values(
                    id_hash=id_hash(session_id),
                    staff_id=user.id,
                    created_at=now,
                    last_seen_at=now,
                    idle_expires_at=min(now + self.idle, expires),
                    expires_at=expires,
                )
            )
            audit.record(conn, user.actor, "staff.signin", "staff_user", user.name, detail, now)
        return StaffSession(session_id, user, now, expires)

    def lookup(self, session_id: str | None) -> StaffSession | None:
        """The live session of this id (not revoked, not expired, account enabled), or None."""
        if not session_id or len(session_id) > MAX_ID_LEN:
            return None
        now = self.clock()
        s = staff_sessions.c
        with self.engine.connect() as conn:
            found = conn.execute(select(staff_sessions).where(s.id_hash == id_hash(session_id)))
            row = found.first()
            if row is None:
                return None
            user_row = conn.execute(select(staff_users).where(staff_users.c.id == row.staff_id))
            user = to_user(user_row.one())
        if (
            row.revoked_at is not None
            or user.disabled
            or now >= row.idle_expires_at
            or now >= row.expires_at
        ):
            return None
        if now - row.last_seen_at >= TOUCH_EVERY:
            self._touch(session_id, now, row.expires_at)
        return StaffSession(session_id, user, row.created_at, row.expires_at)

    def revoke(self, session_id: str, actor: str | None = None) -> bool:
        """End one session (sign-out); True when it was open."""
        now = self.clock()
        with self.engine.begin() as conn:
            found = conn.execute(
                select(staff_sessions.c.staff_id, staff_users.c.name)
                .join(staff_users, staff_users.c.id == staff_sessions.c.staff_id)
                .where(
                    staff_sessions.c.id_hash == id_hash(session_id),
                    staff_sessions.c.revoked_at.is_(None),
                )
            ).first()
            if found is None:
                return False
            conn.execute(
                update(staff_sessions)
                .where(staff_sessions.c.id_hash == id_hash(session_id))
                .values(revoked_at=now)
            )
            who = actor or audit.staff(found.name)
            audit.record(conn, who, "staff.signout", "staff_user", found.name, None, now)
        return True

    def _touch(self, session_id: str, now: datetime, expires: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(staff_sessions)
                .where(staff_sessions.c.id_hash == id_hash(session_id))
                .values(last_seen_at=now, idle_expires_at=min(now + self.idle, expires))
            )
