"""FastAPI dependencies of the board: the store, residents' sessions, CSRF, limits, problems.

Residents' sessions are kept on the server (civic/board/sessions.py): the
cookie names one, and `session_of` asks the table on each request (once), so
a session signed out, revoked or expired is refused by every page, route and
stream alike. Writes by residents are cookie-authenticated (one session for
the board, the surveys and the portal), so each one must carry the session's
CSRF token (`X-CSRF-Token`, or the hidden `csrf_token` field of a portal
form) and come from this site (`same_origin`: the `Origin` when sent, else
`Sec-Fetch-Site`). Staff and site
managers authenticate with bearer tokens, which browsers never attach on
their own, so their routes need no CSRF token.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, FastAPI, Header, Path, Request, Security
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyCookie
from sqlalchemy import Engine

from api import ratelimit, session
from api.problems import ApiProblem, forbidden, problem_response, unauthorized
from civic.board import sessions
from civic.board.context import Board, Refused, Why, utc_now

# Every body the schemas allow fits: the longest text field (an answer, 20,000 characters)
# at 12 bytes a character written as JSON escapes (a surrogate pair, \\uXXXX\\uXXXX) is 240
# KB; twice that leaves room, so a 413 only ever meets a body the schema refuses anyway.
MAX_BODY_BYTES = 512 * 1024
MAX_ID = 2_147_483_647  # an INTEGER column on PostgreSQL
ItemId = Annotated[int, Path(ge=1, le=MAX_ID)]
# Shared by every API process on the platform database (ratelimit.py): writes per
# resident, requests per address, code tries.
RESIDENT_WRITES = (0.5, 20)  # tokens per second, burst
ADDRESS_WRITES = (2.0, 60)
REDEEM_TRIES = (0.1, 5)
STATUS = {
    Why.NOT_FOUND: (404, "Not found"),
    Why.CLOSED: (409, "Closed"),
    Why.DUPLICATE: (409, "Already done"),
    Why.BLOCKED: (403, "Blocked"),
    Why.INVALID: (422, "Invalid request"),
    Why.CONFLICT: (409, "Conflict"),
}


def install(app: FastAPI) -> None:
    """Board refusals become problem responses; the limits live in the platform database."""
    app.state.board_limits = default_limits(app)

    @app.exception_handler(Refused)
    async def _refused(request: Request, exc: Refused) -> JSONResponse:
        status, title = STATUS[exc.why]
        errors = [{"field": exc.field, "message": exc.detail}] if exc.field else None
        return problem_response(
            request,
            status,
            title,
            exc.detail,
            kind=f"/problems/board-{exc.why.value}",
            errors=errors,
        )


def default_limits(app: FastAPI) -> dict[str, ratelimit.Limiter]:
    """The residents' limits, shared through the platform database when the app has one."""
    b: Board | None = getattr(app.state, "board", None)
    engine = b.engine if b is not None else getattr(app.state, "db", None)
    return {
        kind: ratelimit.buckets(engine, kind, rate, burst)
        for kind, (rate, burst) in (
            ("resident", RESIDENT_WRITES),
            ("address", ADDRESS_WRITES),
            ("redeem", REDEEM_TRIES),
        )
    }


def board(request: Request) -> Board:
    return request.app.state.board


BoardD = Annotated[Board, Depends(board)]


def signing_key(request: Request) -> str:
    key: str = request.app.state.secrets.signing_key
    if len(key) < 16:
        raise ApiProblem(503, "Board sign-in unavailable", "ENERGY_API_SIGNING_KEY is not set")
    return key


def limit(request: Request, kind: str, key: str) -> None:
    limited(request, request.app.state.board_limits[kind], key, "slow down")


def limited(request: Request, limiter: ratelimit.Limiter, key: str, what: str) -> None:
    """Take one request from `key`'s bucket, or 429 with Retry-After (and, added on the way
    out by ratelimit.RateLimitHeaders, RateLimit-Policy and RateLimit)."""
    verdict = ratelimit.record(request, limiter, key)
    if not verdict.allowed:
        wait = ratelimit.retry_after(verdict)
        raise ApiProblem(
            429,
            "Too many requests",
            f"{what}: retry in {wait} s",
            kind="/problems/rate-limited",
            headers={"Retry-After": wait},
        )


def address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def small_body(
    request: Request,
    # HTTP framing, not a parameter a client chooses: kept out of the OpenAPI document.
    content_length: Annotated[int | None, Header(include_in_schema=False)] = None,
) -> None:
    """Refuse a body over MAX_BODY_BYTES before reading it; every write is limited per address."""
    if content_length is not None and content_length > MAX_BODY_BYTES:
        raise ApiProblem(413, "Body too large", f"at most {MAX_BODY_BYTES} bytes per request")
    limit(request, "address", address(request))


def platform_db(request: Request) -> Engine:
    """The platform database (telemetry.db): the board's, or the surveys' when alone."""
    b: Board | None = getattr(request.app.state, "board", None)
    engine: Engine | None = b.engine if b is not None else getattr(request.app.state, "db", None)
    if engine is None:
        raise ApiProblem(503, "Sign-in unavailable", "this server has no platform database")
    return engine


def board_clock(request: Request) -> Callable[[], datetime]:
    """The board's clock (tests turn it), else the wall clock."""
    b: Board | None = getattr(request.app.state, "board", None)
    return b.clock if b is not None else utc_now


def lifetimes(request: Request) -> sessions.Lifetimes:
    config = request.app.state.config.board
    return sessions.Lifetimes.days(config.session_idle_days, config.session_max_days)


@dataclass(frozen=True)
class SessionResident:
    """The verified resident of a request: one session for the board, surveys and pages."""

    id: int
    household_key: str  # the resident key: HMAC of the household (codes.household_key)
    site: str
    dong: str
    blocked: bool
    session_id: str  # the session cookie's value: the raw id, never stored as such

    @property
    def cookie(self) -> str:
        return self.session_id


_UNSET = object()


def session_of(request: Request) -> SessionResident | None:
    """The resident of the live session the cookie names, or None (no cookie, unknown id,
    expired, revoked). Asked once per request."""
    found = getattr(request.state, "resident_session", _UNSET)
    if found is not _UNSET:
        return found  # type: ignore[return-value]
    found = None
    given = session.session_id(request)
    if given is not None and len(request.app.state.secrets.signing_key) >= 16:
        now = board_clock(request)()
        live = sessions.lookup(platform_db(request), given, now, lifetimes(request))
        if live is not None:
            found = SessionResident(
                live.resident_id, live.resident_key, live.site, live.dong, live.blocked, given
            )
    request.state.resident_session = found
    return found


def forget_session(request: Request) -> None:
    """After signing in or out: the request's session is asked again."""
    request.state.resident_session = _UNSET


# Declared so that the OpenAPI document says which routes take a resident's session.
resident_cookie = APIKeyCookie(
    name=session.COOKIE,
    scheme_name="residentSession",
    description="a resident's session (POST /v1/board/redeem); writes need its X-CSRF-Token",
    auto_error=False,
)


def current_resident(
    request: Request, _cookie: Annotated[str | None, Security(resident_cookie)] = None
) -> SessionResident:
    """The verified resident of this request, or 401."""
    found = session_of(request)
    if found is not None:
        return found
    if session.COOKIE not in request.cookies:
        raise unauthorized("sign in with a participation code first (POST /v1/board/redeem)")
    raise unauthorized("the session has ended (signed out, expired or revoked); sign in again")


Session = Annotated[SessionResident, Depends(current_resident)]


def same_origin(request: Request, what: str = "writes") -> None:
    """Refuse a request another site made the browser send: by its `Origin` when sent (this
    API's own, or a configured CORS origin), else by `Sec-Fetch-Site` (same-origin or none).
    A request with neither (a script, an old browser) passes: the CSRF tokens guard it."""
    origin = request.headers.get("origin")
    allowed = {str(request.base_url).rstrip("/"), *request.app.state.config.cors_origins}
    if origin is not None:
        if origin.rstrip("/") not in allowed:
            raise forbidden(f"{what} from origin {origin!r} are not accepted")
        return
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        raise forbidden(f"{what} from another site ({site}) are not accepted")


def check_write(request: Request, who: SessionResident, token: str | None) -> None:
    """A resident's write: same-origin, with the session's CSRF token, within the rate."""
    same_origin(request)
    if not session.csrf_ok(signing_key(request), who.session_id, token):
        raise forbidden(
            f"the {session.CSRF_HEADER} header (or the form's {session.CSRF_FIELD}) "
            "is missing or wrong"
        )
    limit(request, "resident", str(who.id))


def writer(
    request: Request,
    who: Session,
    _body: Annotated[None, Depends(small_body)],
    x_csrf_token: Annotated[str | None, Header()] = None,
) -> SessionResident:
    """A cookie-authenticated write through the API: the CSRF token comes in the header."""
    check_write(request, who, x_csrf_token)
    return who


Writer = Annotated[SessionResident, Depends(writer)]


def unblocked(who: SessionResident) -> SessionResident:
    """A resident who may still take part (a blocked account reads but does not answer)."""
    if who.blocked:
        raise ApiProblem(403, "Forbidden", "this account is blocked", kind="/problems/blocked")
    return who


def active_resident(who: Session) -> SessionResident:
    return unblocked(who)


def active_writer(who: Writer) -> SessionResident:
    """A write with the session cookie (CSRF token, limits) by an account not blocked."""
    return unblocked(who)


ActiveResident = Annotated[SessionResident, Depends(active_resident)]
ActiveWriter = Annotated[SessionResident, Depends(active_writer)]
