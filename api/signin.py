"""Signing in: a participation code redeemed once sets the resident's session cookies.

Shared by the API (`POST /v1/board/redeem`) and the portal's redeem page, so
both set the same cookies (path `/`, see session.py) with the same limits.
"""

from __future__ import annotations

import time

from fastapi import Request, Response

from api import guards, session
from api.problems import ApiProblem
from civic.board.codes import CodeRefused, ParticipationCodes, Resident
from civic.board.context import Board


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
    cookie = session.sign(key, resident.id, guards.resident_key(b, resident.id), int(time.time()))
    token = session.csrf_token(key, cookie)
    session.set_resident(request, response, cookie, token)
    response.headers["Cache-Control"] = "no-store"
    return resident, token
