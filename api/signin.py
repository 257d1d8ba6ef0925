"""Signing in and out: a participation code redeemed once opens a new server-side session.

Shared by the API (`POST /v1/board/redeem`, `/logout`, `/logout-everywhere`) and
the portal's forms, so both set and clear the same cookies (session.py) under
the same checks: a request another site made the browser send is refused
before the code is tried (login CSRF), signing in ends the session the browser
held before (the id rotates, never reused), signing out ends the session on
the server and clears every resident cookie.
"""

from __future__ import annotations

from fastapi import Request, Response

from api import guards, session
from api.problems import ApiProblem
from civic.board import sessions
from civic.board.codes import CodeRefused, Refusal, Resident, for_board
from civic.board.context import Board

CODE_STATUS = {
    Refusal.MALFORMED: 400,  # the schema's pattern says what a code looks like
    Refusal.UNKNOWN: 401,  # a well-formed code that opens nothing: a credential refused
    Refusal.USED: 409,
    Refusal.EXPIRED: 410,
    Refusal.CANCELLED: 410,
}
CODE_DETAIL = {
    Refusal.MALFORMED: "the participation code is malformed: 12 letters and digits",
    Refusal.UNKNOWN: "the participation code is unknown",
    Refusal.USED: "the participation code is used: a code works once",
    Refusal.EXPIRED: "the participation code has expired: ask your management office for a new one",
    Refusal.CANCELLED: "the participation code was cancelled (a newer code replaced it, or it "
    "was revoked): use the newest code your household received",
}


def code_problem(reason: Refusal) -> ApiProblem:
    return ApiProblem(
        CODE_STATUS[reason], "Code refused", CODE_DETAIL[reason], kind=f"/problems/code-{reason}"
    )


def sign_in(request: Request, response: Response, b: Board, code: str) -> tuple[Resident, str]:
    """Redeem `code`, start a new session and set its cookies; the resident and the CSRF token."""
    guards.same_origin(request, "sign-ins")
    guards.limit(request, "redeem", guards.address(request))
    key = guards.signing_key(request)
    try:
        resident = for_board(b, key.encode()).redeem(code)
    except CodeRefused as exc:
        raise code_problem(exc.reason) from exc
    now = b.clock()
    before = session.session_id(request)
    if before is not None:
        sessions.revoke(b.engine, before, now, sessions.Ended.ROTATED)
    life = guards.lifetimes(request)
    new = sessions.create(b.engine, resident.id, now, life)
    token = session.csrf_token(key, new)
    # Edit handles were bound to the session before: they can open nothing now.
    session.clear_survey_edits(request, response)
    session.set_resident(request, response, new, token, int(life.absolute.total_seconds()))
    guards.forget_session(request)
    response.headers["Cache-Control"] = "no-store"
    return resident, token


def sign_out(request: Request, response: Response, token: str | None) -> None:
    """End the browser's session (CSRF token and origin checked) and clear every resident
    cookie. A browser whose session has ended already only has its cookies cleared."""
    guards.same_origin(request, "sign-outs")
    who = guards.session_of(request)
    if who is not None:
        guards.check_write(request, who, token)
        sessions.revoke(
            guards.platform_db(request),
            who.session_id,
            guards.board_clock(request)(),
            sessions.Ended.LOGOUT,
        )
    session.clear_resident(request, response)
    guards.forget_session(request)
    response.headers["Cache-Control"] = "no-store"


def sign_out_everywhere(request: Request, response: Response, token: str | None) -> int:
    """End every session of the resident's household (this one too); how many ended."""
    who = guards.current_resident(request)
    guards.check_write(request, who, token)
    ended = sessions.sign_out_everywhere(
        guards.platform_db(request), who.id, guards.board_clock(request)()
    )
    session.clear_resident(request, response)
    guards.forget_session(request)
    response.headers["Cache-Control"] = "no-store"
    return ended
