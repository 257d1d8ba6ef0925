"""Participation codes: issued per household, redeemed once, one resident account per household.

A site's manager prints one code per household (as Decidim verifies by postal
letter). Only a code's SHA-256 is stored, so the table cannot be used to log
in; a household is stored only as an HMAC of (site, household) under the
platform's signing key, which is also the resident's key: a household that
redeems a second code (the first was lost) gets its own account back, never a
second one. Codes use Crockford's base-32 alphabet (no I, L, O, U), 12
characters (60 bits), printed in groups of four.

A code expires `code_lifetime_days` (board config, 90 by default) after it is
issued. Issuing a new code for a household cancels its older codes ("reissued")
and ends the sessions of its account, so the resident who lost a code can
evict whoever found it; `revoke` does the same without a new code ("revoked").
A cancelled or expired code is refused with its own reason.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Engine, Row, insert, select, update
from sqlalchemy.exc import IntegrityError

from civic.board import sessions
from civic.board.context import Board
from telemetry.db.tables import participation_codes, residents

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_CHARS = 12
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


class Refusal(StrEnum):
    MALFORMED = "malformed"
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class Cancelled(StrEnum):
    """Why a code was cancelled (cancelled_reason)."""

    REISSUED = "reissued"
    REVOKED = "revoked"


class CodeRefused(Exception):
    def __init__(self, reason: Refusal) -> None:
        self.reason = reason
        super().__init__(f"participation code refused: {reason.value}")


@dataclass(frozen=True, slots=True)
class IssuedCode:
    household: str
    code: str  # shown once, on the printed sheet; never stored


@dataclass(frozen=True, slots=True)
class Resident:
    id: int
    site: str
    dong: str
    blocked: bool


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_CHARS))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_CHARS, 4))


def normalise(code: str) -> str:
    """The code as typed (any case, dashes, spaces, O for 0) in canonical form."""
    plain = "".join(code.split()).replace("-", "").upper().translate(_READ_AS)
    if len(plain) != CODE_CHARS or any(c not in ALPHABET for c in plain):
        raise CodeRefused(Refusal.MALFORMED)
    return plain


def code_hash(code: str) -> str:
    return hashlib.sha256(normalise(code).encode()).hexdigest()


def household_key(secret: bytes, site: str, household: str) -> str:
    message = f"resident\x1f{site}\x1f{household}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def _utc_now() -> datetime:
    return datetime.now(UTC)


DEFAULT_LIFETIME = timedelta(days=90)


class ParticipationCodes:
    """Issue, redeem and revoke codes; `secret` is the platform's signing key."""

    def __init__(
        self,
        engine: Engine,
        secret: bytes,
        clock: Callable[[], datetime] = _utc_now,
        lifetime: timedelta = DEFAULT_LIFETIME,
    ) -> None:
        if len(secret) < 16:
            raise ValueError("the signing key must be at least 16 bytes")
        self.engine = engine
        self.secret = secret
        self.clock = clock
        self.lifetime = lifetime

    def issue(self, site: str, dong: str, households: list[str], batch: str) -> list[IssuedCode]:
        """One new code per household, all in one transaction; each household's older codes
        are cancelled and its account's sessions end."""
        issued = [IssuedCode(h, new_code()) for h in households]
        now = self.clock()
        rows = [
            {
                "code_hash": code_hash(c.code),
                "site": site,
                "household_key": household_key(self.secret, site, c.household),
                "dong": dong,
                "batch": batch,
                "issued_at": now,
                "expires_at": now + self.lifetime,
            }
            for c in issued
        ]
        if rows:
            with self.engine.begin() as conn:
                for row in rows:
                    self._cancel(conn, row["household_key"], now, Cancelled.REISSUED)
                conn.execute(insert(participation_codes), rows)
        return issued

    def revoke(self, site: str, household: str) -> tuple[int, int]:
        """Cancel every live code of the household and end its account's sessions; how many
        codes and sessions that was (a second revoke finds none)."""
        key = household_key(self.secret, site, household)
        with self.engine.begin() as conn:
            return self._cancel(conn, key, self.clock(), Cancelled.REVOKED)

    @staticmethod
    def _cancel(conn: Connection, key: str, now: datetime, why: Cancelled) -> tuple[int, int]:
        c = participation_codes.c
        codes = conn.execute(
            update(participation_codes)
            .where(c.household_key == key, c.cancelled_at.is_(None))
            .values(cancelled_at=now, cancelled_reason=why.value)
        ).rowcount
        ended = (
            sessions.Ended.CODE_REISSUED
            if why is Cancelled.REISSUED
            else sessions.Ended.CODE_REVOKED
        )
        return codes, sessions.revoke_household(conn, key, now, ended)

    def redeem(self, code: str) -> Resident:
        """The household's resident account, created on its first code; CodeRefused otherwise."""
        digest = code_hash(code)
        with self.engine.begin() as conn:
            row = conn.execute(
                select(participation_codes).where(participation_codes.c.code_hash == digest)
            ).first()
            if row is None:
                raise CodeRefused(Refusal.UNKNOWN)
            if row.cancelled_at is not None:
                raise CodeRefused(Refusal.CANCELLED)
            if row.redeemed_at is None and row.expires_at <= self.clock():
                raise CodeRefused(Refusal.EXPIRED)
            # Conditional update: of two concurrent redemptions exactly one wins.
            claimed = conn.execute(
                update(participation_codes)
                .where(participation_codes.c.id == row.id)
                .where(participation_codes.c.redeemed_at.is_(None))
                .where(participation_codes.c.cancelled_at.is_(None))
                .values(redeemed_at=self.clock())
            )
            if claimed.rowcount != 1:
                raise CodeRefused(Refusal.USED)
            resident = self._resident_for(conn, row.household_key, row.site, row.dong)
            conn.execute(
                update(participation_codes)
                .where(participation_codes.c.id == row.id)
                .values(resident_id=resident.id)
            )
        return resident

    def resident(self, resident_id: int) -> Resident | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(residents).where(residents.c.id == resident_id)).first()
        return None if row is None else _resident(row)

    def _resident_for(self, conn: Connection, key: str, site: str, dong: str) -> Resident:
        found = conn.execute(select(residents).where(residents.c.resident_key == key)).first()
        if found is not None:
            return _resident(found)
        try:
            # A savepoint: losing the race to another redemption of the same
            # household must not abort the outer transaction (PostgreSQL would).
            with conn.begin_nested():
                conn.execute(
                    insert(residents).values(
                        resident_key=key, site=site, dong=dong, created_at=self.clock()
                    )
                )
        except IntegrityError:
            pass
        row = conn.execute(select(residents).where(residents.c.resident_key == key)).one()
        return _resident(row)


def for_board(board: Board, secret: bytes) -> ParticipationCodes:
    """The board's codes: its database, clock and configured code lifetime."""
    lifetime = timedelta(days=board.config.code_lifetime_days)
    return ParticipationCodes(board.engine, secret, board.clock, lifetime)


def _resident(row: Row[Any]) -> Resident:
    return Resident(id=row.id, site=row.site, dong=row.dong, blocked=row.blocked_at is not None)
