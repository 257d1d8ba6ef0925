"""Signing in: a participation code redeemed once sets the resident's session cookies.

Shared by the API (`POST /v1/board/redeem`) and the portal's redeem page, so
both set the same cookies (path `/`, see sessions.py) with the same limits.
"""

from __future__ import annotations

import time

from fastapi import Request, Response

from api.civic import guards, sessions
from api.civic.board import Board
from api.civic.codes import CodeRefused, ParticipationCodes, Resident
from api.problems import ApiProblem


def sign_in(request: Request, response: Response, b: Board, code: str) -> tuple[Resident, str]:
    """Redeem `code`, set the session and CSRF cookies; the resident and the CSRF token."""
    guards.limit(request, "redeem", guards.address(request))
    key = guards.signing_key(request)
    try:
        resident = ParticipationCodes(b.engine, key.encode(), b.clock).redeem(code)
    except CodeRefused as exc:
        raise ApiProblem(
            409 if exc.reason.value == "used" else 400,
            "Code refused",
            f"the participation code is {exc.reason.value}",
            kind=f"/problems/code-{exc.reason.value}",
        ) from exc
    cookie = sessions.sign(key, resident.id, guards.resident_key(b, resident.id), int(time.time()))
    token = sessions.csrf_token(key, cookie)
    secure = b.config.secure_cookies
    for name, value, http_only in ((sessions.COOKIE, cookie, True),
                                   (sessions.CSRF_COOKIE, token, False)):  # fmt: skip
        response.set_cookie(name, value, max_age=sessions.MAX_AGE_S, httponly=http_only,
                            samesite="lax", secure=secure, path=sessions.PATH)  # fmt: skip
    response.headers["Cache-Control"] = "no-store"
    return resident, token
