"""The residents' participation board: reading (anyone), writing (verified residents),
codes (site managers), open data. Staff routes are in board_staff.py.

Everything shown is built on civic/board/visibility.py: hidden content appears
on no route here, in no count and in no export.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api import session, signin
from api.auth import Credentials
from api.deps import chart_figures
from api.guards import (
    MAX_ID,
    BoardD,
    ItemId,
    Session,
    Writer,
    lifetimes,
    signing_key,
    small_body,
)
from api.problems import (
    AUTH_RESPONSES,
    PROBLEM_RESPONSES,
    RESIDENT_READ,
    RESIDENT_WRITE,
    ApiProblem,
    answers_as,
    conflict,
    not_found,
    problems,
)
from api.routes.tenancies import resolve_unit
from api.staff_auth import code_issuer_for
from civic.board import answers, exports, moderation, posts, sessions
from civic.board.answers import AnswerTimes
from civic.board.codes import CODE_PATTERN, NotIssued, for_board
from civic.board.context import Author, Board
from civic.board.discussion import CommentDraft, comment, support
from civic.board.posts import PostDetail, PostDraft, PostFilter, PostKind
from civic.board.tenancy import UnitsRefused, households_for_codes
from civic.board.views import PostSummary, StatusView
from stores.reference import Reference
from telemetry.db import audit, tenancies

router = APIRouter(prefix="/v1/board", tags=["board"], responses=PROBLEM_RESPONSES)


class Redeem(BaseModel):
    code: str = Field(
        max_length=40,
        pattern=CODE_PATTERN,
        examples=["7K3M-Q9TX-2HRB"],
        description="12 letters and digits (no U; O reads as 0, I and L as 1), any case, "
        "dashes and blanks anywhere",
    )


class SignedIn(BaseModel):
    site: str
    dong: str
    csrf_token: str = Field(description=f"send it back in {session.CSRF_HEADER} on every write")


class SignedOut(BaseModel):
    sessions_ended: int


class CodeRequest(BaseModel):
    site: str = Field(max_length=64)
    households: list[Annotated[str, Field(max_length=40)]] = Field(
        min_length=1,
        max_length=2000,
        description='units as written ("101동 1203호", "101-1203"): one code for each unit\'s '
        "current household",
    )
    batch: str = Field(default="", max_length=64)


class CodeRevoke(BaseModel):
    site: str = Field(max_length=64)
    household: str = Field(min_length=1, max_length=40, description="the unit, as written")


class CodesRevoked(BaseModel):
    codes_cancelled: int
    sessions_ended: int


class IssuedCodes(BaseModel):
    site: str
    dong: str
    batch: str
    codes: list[dict[str, str]] = Field(description="household and code; shown this once")


class PostList(BaseModel):
    total: int
    posts: list[PostSummary]


class Created(BaseModel):
    id: int


class ReportIn(BaseModel):
    kind: moderation.ItemKind
    id: int = Field(ge=1, le=MAX_ID)
    reason: moderation.Reason


@router.post(
    "/redeem",
    response_model=SignedIn,
    summary="Redeem a participation code",
    # 401: no such code; 403: from another site; 409: used; 410: expired or cancelled;
    # 429: tries per address.
    responses=problems(401, 403, 409, 410, 429),
)
def redeem(body: Redeem, request: Request, response: Response, b: BoardD) -> SignedIn:
    resident, token = signin.sign_in(request, response, b, body.code)
    return SignedIn(site=resident.site, dong=resident.dong, csrf_token=token)


@router.post(
    "/logout",
    status_code=204,
    summary="End the resident's session",
    responses=RESIDENT_WRITE,
    description=f"Ends the session on the server and clears every resident cookie (survey "
    f"edit handles included). Needs `{session.CSRF_HEADER}` while the session is live.",
)
def logout(
    request: Request,
    response: Response,
    _body: Annotated[None, Depends(small_body)],
    x_csrf_token: Annotated[str | None, Header()] = None,
) -> None:
    signin.sign_out(request, response, x_csrf_token)


@router.post(
    "/logout-everywhere",
    response_model=SignedOut,
    summary="End every session of the resident's household",
    responses=RESIDENT_WRITE,
    description="For a code that was lost, or a shared computer left signed in: every "
    f"browser signed in to this household's account is signed out. Needs `{session.CSRF_HEADER}`.",
)
def logout_everywhere(
    request: Request,
    response: Response,
    _body: Annotated[None, Depends(small_body)],
    x_csrf_token: Annotated[str | None, Header()] = None,
) -> SignedOut:
    return SignedOut(sessions_ended=signin.sign_out_everywhere(request, response, x_csrf_token))


@router.get(
    "/me",
    response_model=moderation.Mine,
    summary="My hidden items and why",
    responses=RESIDENT_READ,
)
def me(who: Session, b: BoardD, response: Response) -> moderation.Mine:
    response.headers["Cache-Control"] = "private, no-store"
    return moderation.mine(b, who.id)


@router.get(
    "/me/stream",
    summary="My hidden items and why, as Server-Sent Events",
    description="An `event: me` with the body of /v1/board/me when it changes (checked every "
    "`stream_interval_s`), `: keep-alive` comments in between. The session is checked on "
    "every tick: when it ends (signed out, expired, revoked) the stream sends `event: ended` "
    "and closes. `max_events` ends the stream after that many events (for scripts).",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {"example": "event: me\ndata: {...}\n\n"}}}}
    | RESIDENT_READ,
)
async def my_stream(
    who: Session,
    request: Request,
    b: BoardD,
    max_events: Annotated[int | None, Query(ge=1, le=100_000)] = None,
) -> StreamingResponse:
    return StreamingResponse(
        _my_events(request, b, who.id, who.session_id, max_events),
        media_type="text/event-stream",
        headers={"Cache-Control": "private, no-store", "X-Accel-Buffering": "no"},
    )


async def _my_events(
    request: Request, b: Board, resident_id: int, session_id: str, max_events: int | None
) -> AsyncIterator[str]:
    interval = request.app.state.config.stream_interval_s
    life = lifetimes(request)
    sent, last = 0, None
    yield "retry: 5000\n\n"
    while max_events is None or sent < max_events:
        if await request.is_disconnected():
            return
        live = await run_in_threadpool(sessions.lookup, b.engine, session_id, b.clock(), life)
        if live is None or live.resident_id != resident_id:
            yield 'event: ended\ndata: {"detail": "the session has ended"}\n\n'
            return
        mine = (await run_in_threadpool(moderation.mine, b, resident_id)).model_dump_json()
        if mine != last:
            yield f"event: me\ndata: {mine}\n\n"
            last, sent = mine, sent + 1
        else:
            yield ": keep-alive\n\n"
        if max_events is not None and sent >= max_events:
            return
        await asyncio.sleep(interval)


@router.post(
    "/codes",
    response_model=IssuedCodes,
    status_code=201,
    summary="Issue participation codes (site manager)",
    responses=AUTH_RESPONSES | problems(409, 413, 429),
    dependencies=[Depends(small_body)],
)
def issue_codes(
    body: CodeRequest,
    request: Request,
    response: Response,
    b: BoardD,
    credentials: Credentials,
) -> IssuedCodes:
    who = code_issuer_for(request, credentials, body.site)
    registry = request.app.state.reference.registry
    if registry is None or body.site not in registry.sites:
        raise not_found(f"no site {body.site!r}")
    dong = registry.sites[body.site].dong
    if body.site not in registry.units:
        raise not_found(f"site {body.site!r} lists no units")
    try:
        wanted = households_for_codes(b.engine, registry.units[body.site], body.households)
    except UnitsRefused as exc:
        raise ApiProblem(
            400,
            "Invalid request",
            str(exc),
            kind="/problems/invalid-request",
            errors=[
                {
                    "field": f"households[{p.index}]",
                    "message": f"{p.given!r}: {p.reason}",
                    "suggestions": list(p.suggestions),
                }
                for p in exc.problems
            ],
        ) from None
    codes = for_board(b, signing_key(request).encode())
    try:
        issued = codes.issue(body.site, dong, wanted, body.batch or b.clock().date().isoformat())
    except NotIssued as exc:  # a move-out between the look-up and the issue
        raise ApiProblem(409, "Tenancy changed", str(exc)) from None
    with b.engine.begin() as conn:  # who issued how many: no label, no code
        audit.record(conn, who.actor, "codes.issue", "site", body.site,
                     {"codes": len(issued), "batch": body.batch or None})  # fmt: skip
    response.headers["Cache-Control"] = "no-store"
    return IssuedCodes(
        site=body.site,
        dong=dong,
        batch=body.batch or b.clock().date().isoformat(),
        codes=[{"household": c.household, "code": c.code} for c in issued],
    )


@router.post(
    "/codes/revoke",
    response_model=CodesRevoked,
    summary="Revoke a household's participation codes (site manager)",
    description="Cancels every code of the household (redeemed or not) and ends its "
    "account's sessions, for a lost code; issuing a new code does the same.",
    responses=AUTH_RESPONSES | problems(413, 429),
    dependencies=[Depends(small_body)],
)
def revoke_codes(
    body: CodeRevoke,
    request: Request,
    response: Response,
    b: BoardD,
    credentials: Credentials,
) -> CodesRevoked:
    who = code_issuer_for(request, credentials, body.site)
    unit = resolve_unit(request, body.site, body.household)
    with b.engine.connect() as conn:
        current = tenancies.current(conn, body.site, unit)
    if current is None:
        raise not_found(f"unit {unit} of {body.site} has no current tenant")
    cancelled, ended = for_board(b, signing_key(request).encode()).revoke(current.id)
    with b.engine.begin() as conn:
        audit.record(conn, who.actor, "codes.revoke", "tenancy", current.id,
                     {"site": body.site, "unit": unit, "codes_cancelled": cancelled,
                      "sessions_ended": ended})  # fmt: skip
    response.headers["Cache-Control"] = "no-store"
    return CodesRevoked(codes_cancelled=cancelled, sessions_ended=ended)


@router.get("/posts", response_model=PostList, summary="Posts (newest first)")
def list_posts(
    b: BoardD,
    kind: PostKind | None = None,
    dong: Annotated[str | None, Query(pattern=r"^\d{10}$")] = None,
    status: Annotated[str | None, Query(max_length=32)] = None,
    q: Annotated[str | None, Query(max_length=100, description="search title and body")] = None,
    limit_: Annotated[int, Query(alias="limit", ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> PostList:
    f = PostFilter(kind=kind, dong=dong, status=status, q=q)
    return PostList(total=posts.count_posts(b, f), posts=posts.list_posts(b, f, limit_, offset))


@router.get(
    "/posts/{post_id}",
    response_model=PostDetail,
    summary="One post, thread and answer",
    operation_id="get_post",
)
def get_post(post_id: ItemId, b: BoardD) -> PostDetail:
    found = posts.get(b, post_id)
    if found is None:
        raise not_found(f"no post {post_id}")
    return found


# What a client does next with a post it wrote (OpenAPI links: generated clients and
# stateful fuzzers follow them).
_ON_THE_POST = {"post_id": "$response.body#/id"}
POST_LINKS = {
    "ReadThePost": {"operationId": "get_post", "parameters": _ON_THE_POST},
    "SupportThePost": {"operationId": "add_support", "parameters": _ON_THE_POST},
    "CommentOnThePost": {"operationId": "add_comment", "parameters": _ON_THE_POST},
}


@router.post(
    "/posts",
    response_model=Created,
    status_code=201,
    summary="Write a post",
    responses=RESIDENT_WRITE | {201: {"description": "the new post's id", "links": POST_LINKS}},
)
def create_post(draft: PostDraft, request: Request, who: Writer, b: BoardD) -> Created:
    ref: Reference = request.app.state.reference
    if draft.dong not in ref.geo.dongs:
        raise conflict(f"unknown dong {draft.dong} (see /v1/districts/{{code}}/dongs)", "dong")
    site = ref.registry.sites.get(draft.site) if draft.site and ref.registry else None
    if draft.site and (site is None or site.dong != draft.dong):
        raise conflict(f"no site {draft.site!r} in dong {draft.dong}", "site")
    figures = chart_figures(request, draft.chart) if draft.chart else None
    return Created(id=posts.create(b, Author(resident_id=who.id), draft, figures))


@router.post(
    "/posts/{post_id}/comments",
    response_model=Created,
    status_code=201,
    responses=RESIDENT_WRITE,
    operation_id="add_comment",
)
def add_comment(post_id: ItemId, draft: CommentDraft, who: Writer, b: BoardD) -> Created:
    return Created(id=comment(b, Author(resident_id=who.id), post_id, draft))


@router.post(
    "/posts/{post_id}/support",
    summary="Support a post (once)",
    responses=RESIDENT_WRITE,
    operation_id="add_support",
)
def add_support(post_id: ItemId, who: Writer, b: BoardD) -> dict[str, int]:
    return {"supports": support(b, who.id, post_id)}


@router.post(
    "/reports", status_code=201, summary="Report a post or comment", responses=RESIDENT_WRITE
)
def add_report(body: ReportIn, who: Writer, b: BoardD) -> dict[str, bool]:
    moderation.report(b, who.id, body.kind, body.id, body.reason)
    return {"received": True}


@router.get("/statuses", response_model=list[StatusView], summary="The city's statuses")
def list_statuses(b: BoardD) -> list[StatusView]:
    return answers.statuses(b)


@router.get("/answer-times", response_model=AnswerTimes, summary="Answer times and overdue posts")
def answer_times(b: BoardD) -> AnswerTimes:
    return answers.answer_times(b)


@router.get("/feed.json", summary="The newest posts as a JSON Feed")
def feed(request: Request, b: BoardD) -> dict[str, Any]:
    return exports.feed(b, str(request.base_url).rstrip("/"))


@router.get(
    "/open-data/{table}.{fmt}",
    summary="Posts, answers or statuses as CSV or JSON",
    response_class=Response,
    responses=answers_as("application/json", "text/csv"),
)
def open_data(
    table: Literal["posts", "answers", "statuses"], fmt: Literal["csv", "json"], b: BoardD
) -> Response:
    records = exports.rows(b, table)
    if fmt == "json":
        return Response(_json(records), media_type="application/json")
    return Response(
        exports.to_csv(records, exports.columns(table)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="board-{table}.csv"'},
    )


def _json(records: list[dict[str, Any]]) -> str:
    return json.dumps(records, ensure_ascii=False)
