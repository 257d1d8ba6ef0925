"""The resident's session: a signed cookie naming their resident account.

A small stand-in written for the surveys: the participation board owns the
real session (redeeming a code sets the cookie); whatever it becomes,
routes depend only on `current_resident`. The cookie holds
`<resident id>.<signature>`, signature = base64url(HMAC-SHA256(signing key,
"resident-session:v1:<id>")), so it cannot be made for another account.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Cookie, Request
from sqlalchemy import select

from api.problems import ApiProblem, unauthorized
from telemetry.db.tables import residents

COOKIE = "resident"


@dataclass(frozen=True, slots=True)
class SessionResident:
    id: int
    household_key: str  # the resident key: HMAC of the household (codes.household_key)
    site: str
    dong: str


def sign_resident(resident_id: int, key: str) -> str:
    message = f"resident-session:v1:{resident_id}".encode()
    digest = hmac.new(key.encode(), message, hashlib.sha256).digest()
    return f"{resident_id}.{base64.urlsafe_b64encode(digest).decode().rstrip('=')}"


def _verified_id(cookie: str, key: str) -> int | None:
    raw_id, _, _sig = cookie.partition(".")
    if not key or not raw_id.isdigit():
        return None
    same = hmac.compare_digest(cookie.encode(), sign_resident(int(raw_id), key).encode())
    return int(raw_id) if same else None


def current_resident(
    request: Request, resident: Annotated[str | None, Cookie(max_length=200)] = None
) -> SessionResident:
    """The verified resident of this request, or 401."""
    resident_id = _verified_id(resident or "", request.app.state.secrets.signing_key)
    if resident_id is None:
        raise unauthorized("sign in with your household's participation code first")
    with request.app.state.db.connect() as conn:
        row = conn.execute(select(residents).where(residents.c.id == resident_id)).first()
    if row is None:
        raise unauthorized("this session's resident account no longer exists")
    if row.blocked_at is not None:
        raise ApiProblem(403, "Forbidden", "this account is blocked", kind="/problems/blocked")
    return SessionResident(row.id, row.resident_key, row.site, row.dong)
