"""Every cookie the platform sets for a person: the resident's session, its CSRF token,
and a survey response's edit capability.

Each cookie is set and cleared here only, and each takes `Secure` from the
configuration (`board.secure_cookies` of config/api.yaml, on by default;
off only for a local run over plain HTTP), never from the request's scheme,
which a proxy in front of the API would hide.

One session serves the whole platform: redeeming a participation code sets
it for path `/`, so the board, the surveys and the portal's pages all know
the resident (api/guards.py `current_resident`).

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
from datetime import datetime

from fastapi import Request, Response

COOKIE = "resident_session"
CSRF_COOKIE = "resident_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"  # the hidden field of the portal's forms
PATH = "/"
MAX_AGE_S = 30 * 86400
SURVEY_EDIT_PREFIX = "survey_edit_"


def secure(request: Request) -> bool:
    """Whether cookies carry `Secure`: the configuration's word, the same for every cookie."""
    return request.app.state.config.board.secure_cookies


def set_resident(request: Request, response: Response, cookie: str, token: str) -> None:
    """The session cookie (HttpOnly) and its CSRF token (readable by the page's script)."""
    for name, value, http_only in ((COOKIE, cookie, True), (CSRF_COOKIE, token, False)):
        response.set_cookie(
            name,
            value,
            max_age=MAX_AGE_S,
            httponly=http_only,
            samesite="lax",
            secure=secure(request),
            path=PATH,
        )


def clear_resident(response: Response) -> None:
    for name in (COOKIE, CSRF_COOKIE):
        response.delete_cookie(name, path=PATH)


def edit_cookie(round_id: int) -> str:
    return f"{SURVEY_EDIT_PREFIX}{round_id}"


def set_survey_edit(
    request: Request, response: Response, round_id: int, token: str, closes: datetime
) -> None:
    """A response's edit capability: this browser only (HttpOnly), until the round closes."""
    response.set_cookie(
        edit_cookie(round_id),
        token,
        httponly=True,
        samesite="strict",
        path=PATH,  # the portal's survey page edits with it too
        expires=closes,
        secure=secure(request),
    )


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
