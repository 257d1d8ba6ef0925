"""The participation board's pages (HTML): list, post, new post, redeem a code, answer times.

They read through civic/board (posts.list_posts, posts.get, answers.*), which
applies the visibility rule, so hidden content appears on no page either.
Forms post to board_forms.py; everything works without JavaScript (the live
chart of a post is drawn over its snapshot table when scripts run).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse

from api import session
from api.guards import ItemId
from api.params import reference
from api.web.i18n import pick_lang
from api.web.resident import private_page
from api.web.routes import Lang, not_found_page
from civic.board import answers, posts
from civic.board.context import Board
from civic.board.posts import PostFilter, PostKind
from stores.reference import Reference
from stores.timewin import KST

router = APIRouter(include_in_schema=False)
Ref = Annotated[Reference, Depends(reference)]
PAGE_SIZE = 20
HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


def board_of(request: Request) -> Board:
    found: Board | None = getattr(request.app.state, "board", None)
    if found is None:
        from api.problems import not_found

        raise not_found("the board is not configured on this server")
    return found


BoardP = Annotated[Board, Depends(board_of)]


def dong_names(ref: Reference) -> dict[str, str]:
    return {code: d.name_ko for code, d in ref.geo.dongs.items()}


def _statuses(b: Board) -> dict[str, object]:
    return {s.token: s for s in answers.statuses(b)}


def common(b: Board, ref: Reference) -> dict[str, object]:
    return {"statuses": _statuses(b), "dong_names": dong_names(ref), "page": "board"}


@router.get("/board", response_class=HTMLResponse)
def board_list(
    request: Request,
    b: BoardP,
    ref: Ref,
    lang: Lang = None,
    kind: PostKind | None = None,
    dong: Annotated[str | None, Query(pattern=r"^(\d{10})?$")] = None,
    status: Annotated[str | None, Query(max_length=32)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1, le=5000)] = 1,
) -> HTMLResponse:
    f = PostFilter(kind=kind, dong=dong or None, status=status or None, q=q or None)
    total = posts.count_posts(b, f)
    context = {
        **common(b, ref),
        "posts": posts.list_posts(b, f, PAGE_SIZE, (page - 1) * PAGE_SIZE),
        "total": total,
        "f": f,
        "pg": page,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "kinds": [k.value for k in PostKind],
        "dongs": sorted(dong_names(ref).items(), key=lambda kv: kv[1]),
    }
    return private_page(request, "board/list.html", lang, context)


@router.get("/board/posts/{post_id}", response_class=HTMLResponse)
def post_page(
    request: Request, post_id: ItemId, b: BoardP, ref: Ref, lang: Lang = None
) -> HTMLResponse:
    found = posts.get(b, post_id)
    if found is None:
        return not_found_page(request, lang)
    context = {
        **common(b, ref),
        "post": found,
        "posted_at": posted_at_kst(found.created_at),
        "note": request.query_params.get("note"),
    }
    return private_page(request, "board/post.html", lang, context)


def posted_at_kst(when: datetime) -> str:
    """The post's time as the snapshot's periods are written (ISO, KST), to compare with them:
    periods that had not begun when the post was written are not shown."""
    aware = when if when.tzinfo else when.replace(tzinfo=UTC)
    return aware.astimezone(KST).isoformat()


@router.get("/board/new", response_class=HTMLResponse)
def new_post(request: Request, b: BoardP, ref: Ref, lang: Lang = None) -> HTMLResponse:
    today = b.clock().astimezone(KST).date()
    context = {
        **common(b, ref),
        "kinds": [k.value for k in PostKind],
        "dongs": sorted(dong_names(ref).items(), key=lambda kv: kv[1]),
        "start": (today - timedelta(days=30)).isoformat(),
        "end": (today + timedelta(days=1)).isoformat(),
    }
    return private_page(request, "board/new.html", lang, context)


@router.get("/board/redeem", response_class=HTMLResponse)
def redeem_page(request: Request, lang: Lang = None, next: str | None = None) -> HTMLResponse:
    return signin_page(request, lang, next or "")


def signin_page(
    request: Request, lang: str | None, next: str, error: str | None = None, status: int = 200
) -> HTMLResponse:
    """The sign-in form, with its token bound to this browser's sign-in cookie (session.py);
    `error` names the message of a refused try."""
    nonce = session.signin_nonce(request)
    token = session.signin_token(request.app.state.secrets.signing_key, nonce)
    context = {"page": "board", "next": next, "signin_token": token, "error": error}
    response = private_page(request, "board/redeem.html", lang, context, status)
    session.set_signin(request, response, nonce)
    return response


@router.get("/board/answer-times", response_class=HTMLResponse)
def answer_times_page(request: Request, b: BoardP, lang: Lang = None) -> HTMLResponse:
    context = {"page": "board", "times": answers.answer_times(b)}
    return private_page(request, "board/answer_times.html", pick_lang(lang), context)


@router.get("/board/statuses.css")
def status_colours(b: BoardP) -> Response:
    """The city's status colours as classes (the CSP allows no inline style)."""
    rules = []
    for s in answers.statuses(b):
        if HEX.match(s.colour) and re.match(r"^[a-z0-9_]+$", s.token):
            rules.append(f".status-{s.token}{{background:{s.colour};color:{ink_on(s.colour)}}}")
    return Response(
        "\n".join(rules) + "\n",
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
    )


def ink_on(colour: str) -> str:
    """Dark or white text, whichever contrasts more with the badge colour (WCAG luminance)."""

    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    lum = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    dark = 0.0130  # luminance of #1b1f24
    return "#1b1f24" if (lum + 0.05) / (dark + 0.05) >= 1.05 / (lum + 0.05) else "#ffffff"
