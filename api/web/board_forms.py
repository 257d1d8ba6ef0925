"""The board's forms (POST, urlencoded): redeem a code, write a post, comment, support, report.

Each write goes through the same store functions as the JSON API and the same
checks (resident.resident_write: session, CSRF field, origin, rate limits);
success redirects (303) to the page to read next, a refusal renders its
reason (board/refused.html) with the status code the API would give.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from api import guards, session, signin
from api.deps import chart_figures
from api.guards import ItemId
from api.problems import ApiProblem
from api.web.board_pages import BoardP, Ref, signin_page
from api.web.i18n import pick_lang
from api.web.resident import read_form, refused_page, resident_write, safe_next, see_other
from api.web.routes import Lang
from civic.board import moderation, posts
from civic.board.chart import ChartRef
from civic.board.codes import Refusal
from civic.board.context import Author, Refused
from civic.board.discussion import CommentDraft, comment, support
from civic.board.posts import PostDraft

router = APIRouter(include_in_schema=False)
Failure = (ApiProblem, Refused, ValidationError)
# A refused code, in the reader's words (messages/*.yaml).
CODE_MESSAGES = {r.value: f"board_code_{r.value}" for r in Refusal}


@router.post("/board/redeem")
async def redeem(request: Request, b: BoardP, lang: Lang = None) -> Response:
    """Sign in: the form must come from this site's sign-in page in this browser (its token,
    and a same-origin `Origin`), so another site cannot sign a visitor in (login CSRF)."""
    form = await read_form(request)
    target = safe_next(form.get("next"))
    response = RedirectResponse(target, status_code=303)
    key = request.app.state.secrets.signing_key
    try:
        guards.same_origin(request, "sign-ins")
    except ApiProblem as exc:
        return refused_page(request, lang, exc)
    if not session.signin_ok(request, key, form.get(session.CSRF_FIELD) or None):
        return signin_page(request, lang, form.get("next"), "board_signin_again", 403)
    try:
        signin.sign_in(request, response, b, form.get("code"))
    except ApiProblem as exc:
        reason = (exc.kind or "").removeprefix("/problems/code-")
        if reason in CODE_MESSAGES:
            return signin_page(request, lang, form.get("next"), CODE_MESSAGES[reason], exc.status)
        return refused_page(request, lang, exc)
    return response


@router.post("/board/logout")
async def logout(request: Request, lang: Lang = None) -> Response:
    """Sign out: the session ends on the server, every resident cookie is cleared."""
    form = await read_form(request)
    response = see_other(pick_lang(lang), "/board")
    try:
        guards.small_body(request)
        signin.sign_out(request, response, form.get(session.CSRF_FIELD) or None)
    except ApiProblem as exc:
        return refused_page(request, lang, exc)
    return response


@router.post("/board/logout-everywhere")
async def logout_everywhere(request: Request, lang: Lang = None) -> Response:
    """Sign out every browser signed in to this household's account, this one included."""
    form = await read_form(request)
    response = see_other(pick_lang(lang), "/board", note="signed_out_everywhere")
    try:
        guards.small_body(request)
        signin.sign_out_everywhere(request, response, form.get(session.CSRF_FIELD) or None)
    except ApiProblem as exc:
        return refused_page(request, lang, exc)
    return response


def _chart(form_chart: str, dong: str, ref: Ref, form_values: dict[str, str]) -> ChartRef | None:
    """The chart reference of the new-post form: none, the post's dong, or its district."""
    if form_chart not in ("dong", "district"):
        return None
    found = ref.geo.dongs.get(dong)
    district = found.district if found else "00000"
    return ChartRef(
        district=district,
        dong=dong if form_chart == "dong" else "all",
        **form_values,  # type: ignore[arg-type]
    )


@router.post("/board/new")
async def create_post(request: Request, b: BoardP, ref: Ref, lang: Lang = None) -> Response:
    form = await read_form(request)
    try:
        who = resident_write(request, form)
        chart_values = {k: form.get(k) for k in ("utility", "every", "start", "end")}
        draft = PostDraft(
            kind=form.get("kind"),  # type: ignore[arg-type]
            title=form.get("title"),
            body=form.get("body"),
            dong=form.get("dong"),
            chart=_chart(form.get("chart"), form.get("dong"), ref, chart_values),
        )
        if draft.dong not in ref.geo.dongs:
            raise ApiProblem(400, "Bad request", f"unknown dong {draft.dong}")
        figures = chart_figures(request, draft.chart) if draft.chart else None
        post_id = posts.create(b, Author(resident_id=who.id), draft, figures)
    except Failure as exc:
        return refused_page(request, lang, exc)
    return see_other(pick_lang(lang), f"/board/posts/{post_id}", note="posted")


@router.post("/board/posts/{post_id}/comments")
async def add_comment(request: Request, post_id: ItemId, b: BoardP, lang: Lang = None) -> Response:
    form = await read_form(request)
    try:
        who = resident_write(request, form)
        parent = form.get("parent_id")
        draft = CommentDraft(body=form.get("body"), parent_id=int(parent) if parent else None)
        comment(b, Author(resident_id=who.id), post_id, draft)
    except (*Failure, ValueError) as exc:
        return refused_page(request, lang, _as_problem(exc))
    return see_other(pick_lang(lang), f"/board/posts/{post_id}", note="commented")


@router.post("/board/posts/{post_id}/support")
async def add_support(request: Request, post_id: ItemId, b: BoardP, lang: Lang = None) -> Response:
    form = await read_form(request)
    try:
        who = resident_write(request, form)
        support(b, who.id, post_id)
    except Failure as exc:
        return refused_page(request, lang, exc)
    return see_other(pick_lang(lang), f"/board/posts/{post_id}", note="supported")


@router.post("/board/posts/{post_id}/report")
async def add_report(request: Request, post_id: ItemId, b: BoardP, lang: Lang = None) -> Response:
    form = await read_form(request)
    try:
        who = resident_write(request, form)
        kind = moderation.ItemKind(form.get("kind", "post"))
        item = int(form.get("item") or post_id)
        moderation.report(b, who.id, kind, item, moderation.Reason(form.get("reason")))
    except (*Failure, ValueError) as exc:
        return refused_page(request, lang, _as_problem(exc))
    # To the list: three reports hide the post, and its page with it.
    return see_other(pick_lang(lang), "/board", note="reported")


def _as_problem(exc: Exception) -> ApiProblem | Refused | ValidationError:
    if isinstance(exc, Failure):
        return exc
    return ApiProblem(400, "Bad form", str(exc))
