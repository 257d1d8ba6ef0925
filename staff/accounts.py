"""Staff accounts: add, change a password, disable, list, and check a password.

Passwords are hashed with argon2id (argon2-cffi's PasswordHasher, its
defaults unless a caller hands in its own); a hash made with weaker
parameters is replaced at the next successful sign-in (`needs_rehash`). An
unknown name costs the same hash as a known one, so the time of a refusal
does not say which names exist. Changing a password or disabling an account
revokes its sessions. Every change is recorded in the audit log, in the
same transaction.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, Engine, Row, insert, select, update

from staff import roles as role_rules
from telemetry.db import audit
from telemetry.db.tables import staff_sessions, staff_users

NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
SITE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MIN_PASSWORD = 12
MAX_PASSWORD = 1024


class StaffRefused(ValueError):
    """An account change refused: a bad name, role, site or password, or a name taken/unknown."""


@dataclass(frozen=True)
class StaffUser:
    id: int
    name: str
    display_name: str
    roles: tuple[str, ...]
    sites: tuple[str, ...]
    created_at: datetime
    password_changed_at: datetime
    disabled_at: datetime | None

    @property
    def actor(self) -> str:
        return audit.staff(self.name)

    @property
    def disabled(self) -> bool:
        return self.disabled_at is not None

    def allows(self, *wanted: str) -> bool:
        return not self.disabled and role_rules.allows(self.roles, *wanted)


def to_user(row: Row[Any] | Any) -> StaffUser:
    return StaffUser(
        id=row.id,
        name=row.name,
        display_name=row.display_name,
        roles=tuple(row.roles),
        sites=tuple(row.sites),
        created_at=row.created_at,
        password_changed_at=row.password_changed_at,
        disabled_at=row.disabled_at,
    )


def _utc_now() -> datetime:
    return datetime.now(UTC)


def check_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise StaffRefused(
            f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters (got {len(password)})"
        )
    return password


class StaffAccounts:
    def __init__(
        self,
        engine: Engine,
        clock: Callable[[], datetime] = _utc_now,
        hasher: PasswordHasher | None = None,
    ) -> None:
        self.engine, self.clock = engine, clock
        self.hasher = hasher or PasswordHasher()
        self._dummy: str | None = None

    # --- changes (each audited) ----------------------------------------------

    def add(
        self,
        name: str,
        password: str,
        roles: Iterable[str],
        *,
        actor: str,
        sites: Iterable[str] = (),
        display_name: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> StaffUser:
        if not NAME.match(name):
            raise StaffRefused(f"{name!r}: a name is 2-64 of a-z 0-9 . _ - (lower case)")
        try:
            held = role_rules.check(roles)
        except role_rules.UnknownRole as exc:
            raise StaffRefused(str(exc)) from None
        places = tuple(sorted(set(sites)))
        bad = [s for s in places if not SITE.match(s)]
        if bad:
            raise StaffRefused(f"not a site id: {', '.join(map(repr, bad))}")
        if role_rules.FACILITY_MANAGER in held and not places:
            raise StaffRefused("a facility manager needs its sites (--site)")
        if places and role_rules.FACILITY_MANAGER not in held:
            raise StaffRefused("sites are for the facility_manager role only")
        shown = (display_name or name).strip()
        if not 1 <= len(shown) <= 120:
            raise StaffRefused("a display name has 1 to 120 characters")
        digest = self.hasher.hash(check_password(password))
        now = self.clock()
        with self.engine.begin() as conn:
            taken = conn.execute(select(staff_users.c.id).where(staff_users.c.name == name)).first()
            if taken is not None:
                raise StaffRefused(f"a staff account {name!r} exists already")
            new_id = conn.execute(
                insert(staff_users).values(
                    name=name,
                    display_name=shown,
                    password_hash=digest,
                    roles=list(held),
                    sites=list(places),
                    created_at=now,
                    password_changed_at=now,
                )
            ).inserted_primary_key[0]
            audit.record(conn, actor, "staff.add", "staff_user", name,
                         {"roles": list(held), "sites": list(places), **(detail or {})}, now)  # fmt: skip
            return to_user(self._row(conn, staff_users.c.id == new_id))

    def set_password(
        self, name: str, password: str, *, actor: str, detail: dict[str, Any] | None = None
    ) -> None:
        """A new password; every session of the account ends."""
        digest = self.hasher.hash(check_password(password))
        now = self.clock()
        with self.engine.begin() as conn:
            user = self._by_name(conn, name)
            conn.execute(
                update(staff_users)
                .where(staff_users.c.id == user.id)
                .values(password_hash=digest, password_changed_at=now)
            )
            ended = revoke_all(conn, user.id, now)
            audit.record(conn, actor, "staff.passwd", "staff_user", name,
                         {"sessions_revoked": ended, **(detail or {})}, now)  # fmt: skip

    def disable(self, name: str, *, actor: str, detail: dict[str, Any] | None = None) -> None:
        """The account signs in no more; its sessions end now. Its past actions stay named."""
        now = self.clock()
        with self.engine.begin() as conn:
            user = self._by_name(conn, name)
            if user.disabled:
                raise StaffRefused(f"{name!r} is disabled already")
            conn.execute(
                update(staff_users).where(staff_users.c.id == user.id).values(disabled_at=now)
            )
            ended = revoke_all(conn, user.id, now)
            audit.record(conn, actor, "staff.disable", "staff_user", name,
                         {"sessions_revoked": ended, **(detail or {})}, now)  # fmt: skip

    # --- reading -------------------------------------------------------------

    def list(self) -> list[StaffUser]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(staff_users).order_by(staff_users.c.name)).all()
        return [to_user(r) for r in rows]

    def get(self, name: str) -> StaffUser | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(staff_users).where(staff_users.c.name == name)).first()
        return to_user(row) if row else None

    def verify(self, name: str, password: str) -> StaffUser | None:
        """The account if the password is right and it is not disabled, else None.

        A right password whose hash has older parameters is re-hashed now."""
        with self.engine.connect() as conn:
            row = conn.execute(select(staff_users).where(staff_users.c.name == name)).first()
        if row is None or len(password) > MAX_PASSWORD:
            self._burn(password[:MAX_PASSWORD])
            return None
        try:
            self.hasher.verify(row.password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if row.disabled_at is not None:
            return None
        if self.hasher.check_needs_rehash(row.password_hash):
            with self.engine.begin() as conn:
                conn.execute(
                    update(staff_users)
                    .where(
                        staff_users.c.id == row.id, staff_users.c.password_hash == row.password_hash
                    )
                    .values(password_hash=self.hasher.hash(password))
                )
        return to_user(row)

    def _burn(self, password: str) -> None:
        """Spend the time of one verification, so an unknown name answers as slowly."""
        if self._dummy is None:
            self._dummy = self.hasher.hash("not-a-password-of-anyone")
        with contextlib.suppress(VerifyMismatchError, VerificationError, InvalidHashError):
            self.hasher.verify(self._dummy, password)

    def _by_name(self, conn: Connection, name: str) -> StaffUser:
        row = conn.execute(select(staff_users).where(staff_users.c.name == name)).first()
        if row is None:
            raise StaffRefused(f"no staff account {name!r}")
        return to_user(row)

    @staticmethod
    def _row(conn: Connection, *where: Any) -> Row[Any]:
        return conn.execute(select(staff_users).where(*where)).one()


def revoke_all(conn: Connection, staff_id: int, now: datetime) -> int:
    """End every open session of an account; how many ended."""
    done = conn.execute(
        update(staff_sessions)
        .where(staff_sessions.c.staff_id == staff_id, staff_sessions.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return done.rowcount
