"""Residents' sessions: a signed cookie bound to the resident, and its CSRF token.

One session serves the whole platform: redeeming a participation code sets
it for path `/`, so the board, the surveys and the portal's pages all know
the resident (api/civic/guards.py `current_resident`).

The cookie is `<resident id>.<issued unix time>.<signature>`, signed with the
platform's signing key (ENERGY_API_SIGNING_KEY) over the id, the time and the
resident's key (the HMAC of their household), so a forged id fails and a
cookie dies with its account. The CSRF token is a second HMAC of the cookie:
a page on another site can make the browser send the cookie but can neither
read it nor compute the token, which writes must echo in `X-CSRF-Token`
(a signed double-submit token; no server-side state).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

COOKIE = "resident_session"
CSRF_COOKIE = "resident_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"  # the hidden field of the portal's forms
PATH = "/"
MAX_AGE_S = 30 * 86400


def _mac(key: str, message: str) -> str:
    digest = hmac.new(key.encode(), message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _session_mac(key: str, resident_id: int, resident_key: str, issued: int) -> str:
    return _mac(key, f"board-session:v1:{resident_id}:{resident_key}:{issued}")


def sign(key: str, resident_id: int, resident_key: str, issued: int) -> str:
    return f"{resident_id}.{issued}.{_session_mac(key, resident_id, resident_key, issued)}"


@dataclass(frozen=True)
class Claim:
    """What an unverified cookie says; `verify` checks it against the resident's key."""

    resident_id: int
    issued: int
    signature: str

    def verify(self, key: str, resident_key: str, now: int) -> bool:
        if not key or not 0 <= now - self.issued <= MAX_AGE_S:
            return False
        expected = _session_mac(key, self.resident_id, resident_key, self.issued)
        return hmac.compare_digest(expected.encode(), self.signature.encode())


def parse(cookie: str) -> Claim | None:
    parts = cookie.split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    return Claim(int(parts[0]), int(parts[1]), parts[2])


def csrf_token(key: str, cookie: str) -> str:
    return _mac(key, f"board-csrf:v1:{cookie}")


def csrf_ok(key: str, cookie: str, given: str | None) -> bool:
    if not given:
        return False
    return hmac.compare_digest(csrf_token(key, cookie).encode(), given.encode())
