"""The board's staff view (HTML): the moderation queue, statuses, official answers.

Staff sign in at `/staff/signin` with their own account (role moderator, or
administrator); the page knows them by the `staff_session` cookie and every
action form carries that session's CSRF token (an HMAC of the session id,
never a secret that opens anything by itself), checked with the Origin. No
token is ever written into the page. Each action goes through the store
functions the JSON API uses, under the signed-in member's name, and is
recorded in the audit log; the page is rendered again with what changed.
Hidden posts are staff's to see here (the queue).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from api import guards, staff_auth
from api.problems import ApiProblem
from api.staff_auth import Principal
from api.web.board_pages import BoardP, Ref, common
from api.web.resident import Form, read_form
from api.web.routes import Lang
from api.web.staff_pages import signed_in, staff_page, to_sign_in
from civic.board import answers, moderation, posts
from civic.board.answers import AnswerDraft
from civic.board.context import Board, Refused

router = APIRouter(include_in_schema=False)
ACTIONS = ("status", "answer", "publish", "hide", "restore")
ROLE = "moderator"


def _act(b: Board, who: Principal, action: str, form: Form) -> str:
    post_id = int(form.get("post_id") or form.get("item_id") or 0)
    if action == "status":
        answers.set_status(b, post_id, form.get("status"), who.actor)
    elif action == "answer":
        answers.write_answer(b, post_id, who.actor, AnswerDraft(body=form.get("body")))
        if form.get("publish"):
            answers.publish_answer(b, post_id, who.actor)
    elif action == "publish":
        answers.publish_answer(b, post_id, who.actor)
    else:
        kind = moderation.ItemKind(form.get("kind"))
        decide = moderation.hide if action == "hide" else moderation.restore
        decide(b, who.actor, kind, post_id, form.get("note") or "staff decision")
    return f"{action}: {form.get('kind') or 'post'} {post_id}"


def _view(
    request: Request, b: Board, ref: Any, lang: str | None, who: Principal, **extra: Any
) -> HTMLResponse:
    context: dict[str, Any] = {**common(b, ref), "done": None, "error": None, **extra}
    status = 200
    if who.allows(ROLE):
        context |= {"queue": moderation.queue(b), "posts": posts.list_posts(b, limit=100)}
    else:
        context["error"] = context["error"] or "this view needs the moderator role"
        status = 403
    return staff_page(request, "board/staff.html", lang, context, who, status)


@router.get("/board/staff", response_class=HTMLResponse)
def staff_view_page(request: Request, b: BoardP, ref: Ref, lang: Lang = None) -> Response:
    who = signed_in(request)
    if who is None:
        return to_sign_in(lang, "/board/staff")
    return _view(request, b, ref, lang, who)


@router.post("/board/staff", response_class=HTMLResponse)
async def staff_view(request: Request, b: BoardP, ref: Ref, lang: Lang = None) -> Response:
    form = await read_form(request)
    who = signed_in(request)
    if who is None:
        return to_sign_in(lang, "/board/staff")
    done = error = None
    try:
        guards.small_body(request)  # the per-address limit of every write
        staff_auth.check_write(request, who, form.get(staff_auth.CSRF_FIELD) or None)
        if not who.allows(ROLE):
            raise ApiProblem(403, "Forbidden", "this view needs the moderator role")
        action = form.get("action")
        if action in ACTIONS:
            done = _act(b, who, action, form)
    except (Refused, ValidationError, ValueError) as exc:
        error = getattr(exc, "detail", None) or str(exc)
    except ApiProblem as exc:
        if exc.status in (403, 429):
            return staff_page(request, "board/staff.html", lang,
                              {**common(b, ref), "error": exc.detail, "done": None}, who,
                              exc.status)  # fmt: skip
        error = exc.detail
    return _view(request, b, ref, lang, who, done=done, error=error)
