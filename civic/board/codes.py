"""Participation codes: issued per household, redeemed once, one resident account per household.

A household is one tenancy of one unit (telemetry/db/tenancies.py): codes are
issued only for a unit's current tenancy, and the tenancy is the resident's
key ("tenancy:<id>"), whatever spelling of the unit the sheet was asked for
and whatever signing key is in use: a household that redeems a second code
(the first was lost) gets its own account back, never a second one. A site's
manager prints one code per household (as Decidim verifies by postal letter).
Only a code's SHA-256 is stored, so the table cannot be used to log in.
Codes use Crockford's base-32 alphabet (no I, L, O, U), 12 characters (60
bits), printed in groups of four.

Accounts and codes made before tenancies are keyed by an HMAC of (site,
label) under the signing key (`household_key`); `python -m api tenancy
adopt` moves them onto tenancies.

A code expires `code_lifetime_days` (board config, 90 by default) after it is
issued. Issuing a new code for a household cancels its older codes ("reissued")
and ends the sessions of its account, so the resident who lost a code can
evict whoever found it; `revoke` does the same without a new code ("revoked");
a move-out does it for good ("moved_out", `end_tenancy`). A cancelled or
expired code is refused with its own reason.
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
from telemetry.db import tenancies
from telemetry.db.tables import participation_codes, residents

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_CHARS = 12
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
# What normalise() accepts, for the API's schema: 12 of ALPHABET (or O, I, L read as 0, 1,
# 1), any case, with dashes and blanks anywhere.
CODE_PATTERN = r"^[\s-]*(?:[0-9A-TV-Za-tv-z][\s-]*){12}$"


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
    MOVED_OUT = "moved_out"


class NotIssued(ValueError):
    """Codes asked for a tenancy that is not a unit's current one (moved out, unknown)."""


@dataclass(frozen=True, slots=True)
class ForTenancy:
    """A household to issue a code for: its tenancy, and its unit as the slip shows it."""

    label: str
    tenancy_id: int


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
    """The key of an account or code made before tenancies: HMAC of (site, label)."""
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

    def issue(
        self, site: str, dong: str, households: list[ForTenancy], batch: str
    ) -> list[IssuedCode]:
        """One new code per household (a current tenancy of the site), all in one
        transaction; each household's older codes are cancelled and its account's sessions
        end. NotIssued when a tenancy is not current at this site."""
        if len({h.tenancy_id for h in households}) != len(households):
            raise NotIssued("one household listed twice")
        issued = [IssuedCode(h.label, new_code()) for h in households]
        now = self.clock()
        rows = [
            {
                "code_hash": code_hash(c.code),
                "site": site,
                "household_key": tenancies.resident_key(h.tenancy_id),
                "tenancy_id": h.tenancy_id,
                "dong": dong,
                "batch": batch,
                "issued_at": now,
                "expires_at": now + self.lifetime,
            }
            for c, h in zip(issued, households, strict=True)
        ]
        if rows:
            with self.engine.begin() as conn:
                for h in households:
                    found = tenancies.get(conn, h.tenancy_id, lock=True)
                    if found is None or found.site != site or found.moved_out is not None:
                        raise NotIssued(f"{h.label}: not a current tenancy of site {site}")
                for row in rows:
                    self._cancel(conn, row["household_key"], now, Cancelled.REISSUED)
                conn.execute(insert(participation_codes), rows)
        return issued

    def revoke(self, tenancy_id: int) -> tuple[int, int]:
        """Cancel every live code of the household and end its account's sessions; how many
        codes and sessions that was (a second revoke finds none)."""
        with self.engine.begin() as conn:
            return self._cancel(
                conn, tenancies.resident_key(tenancy_id), self.clock(), Cancelled.REVOKED
            )

    @staticmethod
    def _cancel(conn: Connection, key: str, now: datetime, why: Cancelled) -> tuple[int, int]:
        c = participation_codes.c
        codes = conn.execute(
            update(participation_codes)
            .where(c.household_key == key, c.cancelled_at.is_(None))
            .values(cancelled_at=now, cancelled_reason=why.value)
        ).rowcount
        ended = {
            Cancelled.REISSUED: sessions.Ended.CODE_REISSUED,
            Cancelled.REVOKED: sessions.Ended.CODE_REVOKED,
            Cancelled.MOVED_OUT: sessions.Ended.MOVED_OUT,
        }[why]
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
            if row.tenancy_id is not None:  # a code that slipped past a move-out opens nothing
                lives = tenancies.get(conn, row.tenancy_id, lock=True)
                if lives is None or lives.moved_out is not None:
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
            resident = self._resident_for(
                conn, row.household_key, row.site, row.dong, row.tenancy_id
            )
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

    def _resident_for(
        self, conn: Connection, key: str, site: str, dong: str, tenancy_id: int | None
    ) -> Resident:
        found = conn.execute(select(residents).where(residents.c.resident_key == key)).first()
        if found is not None:
            return _resident(found)
        try:
            # A savepoint: losing the race to another redemption of the same
            # household must not abort the outer transaction (PostgreSQL would).
            with conn.begin_nested():
                conn.execute(
                    insert(residents).values(
                        resident_key=key,
                        tenancy_id=tenancy_id,
                        site=site,
                        dong=dong,
                        created_at=self.clock(),
                    )
                )
        except IntegrityError:
            pass
        row = conn.execute(select(residents).where(residents.c.resident_key == key)).one()
        return _resident(row)


def end_tenancy(conn: Connection, tenancy_id: int, now: datetime) -> tuple[int, int]:
    """A move-out, in the caller's transaction: the household's codes are cancelled and its
    account's sessions end; how many of each."""
    return ParticipationCodes._cancel(
        conn, tenancies.resident_key(tenancy_id), now, Cancelled.MOVED_OUT
    )


def for_board(board: Board, secret: bytes) -> ParticipationCodes:
    """The board's codes: its database, clock and configured code lifetime."""
    lifetime = timedelta(days=board.config.code_lifetime_days)
    return ParticipationCodes(board.engine, secret, board.clock, lifetime)


def _resident(row: Row[Any]) -> Resident:
    return Resident(id=row.id, site=row.site, dong=row.dong, blocked=row.blocked_at is not None)
