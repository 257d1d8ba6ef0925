"""Every cookie the platform sets for a resident: the session, its CSRF token, the sign-in
form's token, and a survey response's edit handle.

Each cookie is set and cleared here only, and each takes `Secure` from the
configuration (`board.secure_cookies` of config/api.yaml, on by default;
off only for a local run over plain HTTP), never from the request's scheme,
which a proxy in front of the API would hide.

- `resident_session` (HttpOnly, SameSite=Lax, path `/`): the session's random
  id; the server keeps its SHA-256 and its deadlines (civic/board/sessions.py),
  so logging out, signing out everywhere or a reissued code ends it for good.
  One session serves the whole platform: the board, the surveys and the
  portal's pages know the resident through api/guards.py `current_resident`.
- `resident_csrf` (readable by the page's script): the CSRF token, a MAC under
  the platform's signing key (ENERGY_API_SIGNING_KEY) over the session id,
  labelled by purpose; writes echo it in `X-CSRF-Token` (or the portal forms'
  hidden `csrf_token`). A page on another site can make the browser send the
  session cookie but can neither read it nor compute the token.
- `resident_signin` (HttpOnly, SameSite=Strict): set by the portal's sign-in
  page, before any session, with a random value; the form carries a MAC of it
  (a signed double submit), so another site cannot post a code into this
  browser (login CSRF).
- `survey_edit_<round>` (HttpOnly, SameSite=Strict, until the round closes):
  `<handle>.<MAC(signing key, "survey-edit:v1:" session id, round, handle)>`.
  It opens the response only under the session that answered: after another
  sign-in in the same browser it is ignored as if absent. The session row
  stores nothing about it.

Logging out clears all of them, every `survey_edit_*` the browser sent included.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime

from fastapi import Request, Response

COOKIE = "resident_session"
CSRF_COOKIE = "resident_csrf"
SIGNIN_COOKIE = "resident_signin"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"  # the hidden field of the portal's forms (the sign-in form's too)
PATH = "/"
SURVEY_EDIT_PREFIX = "survey_edit_"
SIGNIN_MAX_AGE_S = 3600  # a sign-in page left open longer asks to be reloaded
MAX_EDIT_COOKIE = 200


def secure(request: Request) -> bool:
    """Whether cookies carry `Secure`: the configuration's word, the same for every cookie."""
    return request.app.state.config.board.secure_cookies


def _mac(key: str, message: str) -> str:
    digest = hmac.new(key.encode(), message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _same(a: str, b: str | None) -> bool:
    return bool(b) and hmac.compare_digest(a.encode(), (b or "").encode())


# --- the session and its CSRF token ---------------------------------------------


def session_id(request: Request) -> str | None:
    """The session id the browser sent (unverified: api/guards.py asks the server's table)."""
    return request.cookies.get(COOKIE) or None


def set_resident(
    request: Request, response: Response, session: str, token: str, max_age_s: int
) -> None:
    """The session cookie (HttpOnly) and its CSRF token (readable by the page's script)."""
    for name, value, http_only in ((COOKIE, session, True), (CSRF_COOKIE, token, False)):
        response.set_cookie(
            name,
            value,
            max_age=max_age_s,
            httponly=http_only,
            samesite="lax",
            secure=secure(request),
            path=PATH,
        )


def clear_resident(request: Request, response: Response) -> None:
    """Every resident cookie this browser sent: session, CSRF, sign-in and survey edit handles."""
    for name in (COOKIE, CSRF_COOKIE, SIGNIN_COOKIE):
        response.delete_cookie(name, path=PATH, secure=secure(request), httponly=True)
    clear_survey_edits(request, response)


def csrf_token(key: str, session: str) -> str:
    return _mac(key, f"resident-csrf:v1:{session}")


def csrf_ok(key: str, session: str, given: str | None) -> bool:
    return _same(csrf_token(key, session), given)


# --- the sign-in form (before any session) ----------------------------------------


def signin_token(key: str, nonce: str) -> str:
    return _mac(key, f"resident-signin:v1:{nonce}")


def signin_nonce(request: Request) -> str:
    """The sign-in cookie's value this browser holds, or a fresh one (set it with the page)."""
    nonce = request.cookies.get(SIGNIN_COOKIE)
    return nonce if nonce and len(nonce) <= 64 else secrets.token_urlsafe(24)


def set_signin(request: Request, response: Response, nonce: str) -> None:
    """The sign-in page's cookie, whose MAC (`signin_token`) the page's form carries."""
    response.set_cookie(
        SIGNIN_COOKIE,
        nonce,
        max_age=SIGNIN_MAX_AGE_S,
        httponly=True,
        samesite="strict",
        secure=secure(request),
        path=PATH,
    )


def signin_ok(request: Request, key: str, given: str | None) -> bool:
    """Whether a sign-in form came from this site's page, in this browser."""
    nonce = request.cookies.get(SIGNIN_COOKIE)
    return bool(nonce) and _same(signin_token(key, nonce or ""), given)


# --- survey edit handles ----------------------------------------------------------


def edit_cookie(round_id: int) -> str:
    return f"{SURVEY_EDIT_PREFIX}{round_id}"


def _edit_mac(key: str, session: str, round_id: int, handle: str) -> str:
    return _mac(key, f"survey-edit:v1:{session}:{round_id}:{handle}")


def set_survey_edit(
    request: Request,
    response: Response,
    key: str,
    session: str,
    round_id: int,
    handle: str,
    closes: datetime,
) -> None:
    """A response's edit handle: this browser only (HttpOnly), this session, until the close."""
    response.set_cookie(
        edit_cookie(round_id),
        f"{handle}.{_edit_mac(key, session, round_id, handle)}",
        httponly=True,
        samesite="strict",
        path=PATH,  # the portal's survey page edits with it too
        expires=closes,
        secure=secure(request),
    )


def survey_edit_handle(request: Request, key: str, session: str, round_id: int) -> str | None:
    """The edit handle this browser holds for the round, if made under this very session."""
    value = request.cookies.get(edit_cookie(round_id))
    if not value or len(value) > MAX_EDIT_COOKIE:
        return None
    handle, _, mac = value.rpartition(".")
    if not handle or not _same(_edit_mac(key, session, round_id, handle), mac):
        return None
    return handle


def clear_survey_edits(request: Request, response: Response) -> None:
    for name in request.cookies:
        if name.startswith(SURVEY_EDIT_PREFIX):
            response.delete_cookie(name, path=PATH, secure=secure(request), httponly=True)
