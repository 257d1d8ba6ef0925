"""The board's staff view (HTML): the moderation queue, statuses, official answers.

Staff sign in by posting the operator's token (the same one `/v1/board/…`
staff routes take as a bearer token); every action form carries it back as
a hidden field of this no-store page, which an attacker's page can neither
read nor forge, so it also serves as the forms' CSRF token. Each action
goes through the store functions the JSON API uses; the page is rendered
again with what changed. Hidden posts are staff's to see here (the queue).
"""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from api import guards
from api.problems import ApiProblem
from api.web.board_pages import BoardP, Ref, common
from api.web.resident import Form, private_page, read_form
from api.web.routes import Lang
from civic.board import answers, moderation, posts
from civic.board.answers import AnswerDraft
from civic.board.context import Board, Refused

router = APIRouter(include_in_schema=False)
STAFF_NAME = "city-staff"
ACTIONS = ("status", "answer", "publish", "hide", "restore")


@router.get("/board/staff", response_class=HTMLResponse)
def staff_sign_in(request: Request, lang: Lang = None) -> HTMLResponse:
    return private_page(request, "board/staff.html", lang, {"page": "board", "token": None})


def _check_token(request: Request, form: Form) -> str:
    guards.limit(request, "address", guards.address(request))  # as every write
    token, admin = form.get("admin_token"), request.app.state.secrets.admin_token
    if not (token and admin and hmac.compare_digest(token.encode(), admin.encode())):
        guards.limit(request, "redeem", guards.address(request))  # wrong tokens count as code tries
        raise ApiProblem(401, "Unauthorized", "the operator token is wrong")
    return token


def _act(b: Board, action: str, form: Form) -> str:
    post_id = int(form.get("post_id") or form.get("item_id") or 0)
    if action == "status":
        answers.set_status(b, post_id, form.get("status"))
    elif action == "answer":
        answers.write_answer(b, post_id, STAFF_NAME, AnswerDraft(body=form.get("body")))
        if form.get("publish"):
            answers.publish_answer(b, post_id)
    elif action == "publish":
        answers.publish_answer(b, post_id)
    else:
        kind = moderation.ItemKind(form.get("kind"))
        decide = moderation.hide if action == "hide" else moderation.restore
        decide(b, STAFF_NAME, kind, post_id, form.get("note") or "staff decision")
    return f"{action}: {form.get('kind') or 'post'} {post_id}"


@router.post("/board/staff", response_class=HTMLResponse)
async def staff_view(request: Request, b: BoardP, ref: Ref, lang: Lang = None) -> Response:
    form = await read_form(request)
    context: dict[str, Any] = {**common(b, ref), "token": None, "done": None, "error": None}
    try:
        context["token"] = _check_token(request, form)
        action = form.get("action")
        if action in ACTIONS:
            context["done"] = _act(b, action, form)
    except (Refused, ValidationError, ValueError) as exc:
        context["error"] = getattr(exc, "detail", None) or str(exc)
    except ApiProblem as exc:
        context["error"] = exc.detail
    if context["token"]:
        context |= {"queue": moderation.queue(b), "posts": posts.list_posts(b, limit=100)}
    status = 401 if context["token"] is None and context["error"] else 200
    return private_page(request, "board/staff.html", lang, context, status)
