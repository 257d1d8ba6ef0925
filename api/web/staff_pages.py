"""Staff pages (HTML): sign in, sign out, and the audit log (administrators) with its filters.

Staff sign in with their own name and password (api/staff_auth.py `sign_in`,
the same check, limits and record as `POST /v1/staff/signin`); the cookie
`staff_session` is SameSite=Strict and HttpOnly, and every staff form carries
the session's CSRF token as the hidden field `csrf_token` (checked with the
Origin by `staff_auth.check_write`). Pages are `private, no-store`.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api import staff_auth
from api.problems import ApiProblem
from api.staff_auth import Principal
from api.web.i18n import DEFAULT_LANG, pick_lang
from api.web.pages import link, render
from api.web.resident import read_form, safe_next
from api.web.routes import Lang
from stores.timewin import KST
from telemetry.db import audit

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


def staff_page(
    request: Request,
    name: str,
    lang: str | None,
    context: dict[str, Any],
    who: Principal | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """A staff page: the signed-in staff member (if any) and its CSRF token; never cached."""
    context = {
        "page": "staff",
        "staff": who,
        "staff_user": who.session.user if who and who.session else None,
        "staff_csrf": staff_auth.csrf_for(request, who) if who and who.session else None,
        **context,
    }
    response = render(request, name, pick_lang(lang), context, status_code=status_code)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def signed_in(request: Request) -> Principal | None:
    found = staff_auth.session_of(request)
    return staff_auth.staff_principal(found) if found is not None else None


def to_sign_in(lang: str | None, here: str) -> RedirectResponse:
    return RedirectResponse(link(pick_lang(lang), "/staff/signin", next=here), status_code=303)


@router.get("/staff/signin", response_class=HTMLResponse)
def sign_in_page(
    request: Request,
    lang: Lang = None,
    next: Annotated[str | None, Query(max_length=300)] = None,
) -> HTMLResponse:
    context = {"next": safe_next(next, "/board/staff"), "error": None}
    return staff_page(request, "staff/signin.html", lang, context, signed_in(request))


@router.post("/staff/signin", response_class=HTMLResponse)
async def sign_in_form(request: Request, lang: Lang = None) -> Response:
    form = await read_form(request)
    target = safe_next(form.get("next"), "/board/staff")
    done = RedirectResponse(target, status_code=303)
    try:
        staff_auth.sign_in(request, done, form.get("name"), form.get("password", ""))
    except ApiProblem as exc:
        context = {"next": target, "error": exc.detail, "name": form.get("name")}
        return staff_page(request, "staff/signin.html", lang, context, None, exc.status)
    return done


@router.post("/staff/signout")
async def sign_out_form(request: Request, lang: Lang = None) -> Response:
    form = await read_form(request)
    who = signed_in(request)
    if who is not None and who.session is not None:
        staff_auth.check_write(request, who, form.get(staff_auth.CSRF_FIELD) or None)
        staff_auth.staff_state(request).sessions.revoke(who.session.id)
    done = RedirectResponse(link(pick_lang(lang), "/staff/signin"), status_code=303)
    staff_auth.clear_cookie(done)
    return done


def _since(day: str | None) -> datetime | None:
    """A KST day (YYYY-MM-DD) from the form: from its midnight on."""
    if not day:
        return None
    try:
        return datetime.combine(date.fromisoformat(day), time(0), KST)
    except ValueError:
        return None


@router.get("/staff/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    lang: Lang = None,
    actor: Annotated[str | None, Query(max_length=80)] = None,
    action: Annotated[str | None, Query(max_length=48)] = None,
    target: Annotated[str | None, Query(max_length=120)] = None,
    since: Annotated[str | None, Query(max_length=10)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    who = signed_in(request)
    if who is None:
        return to_sign_in(lang, "/staff/audit")
    if not who.allows("administrator"):
        context = {"error": "the audit log is read by administrators", "entries": None}
        return staff_page(request, "staff/audit.html", lang, context, who, 403)
    f = audit.Filter(actor or None, action or None, target or None, _since(since))
    with staff_auth.staff_state(request).accounts.engine.connect() as conn:
        entries = audit.entries(conn, f, PAGE_SIZE, (page - 1) * PAGE_SIZE)
        total = audit.count(conn, f)
    for e in entries:
        e["detail_text"] = "; ".join(
            f"{k}={v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)}"
            for k, v in sorted(e["detail"].items())
        )
    query = {"actor": actor or None, "action": action or None, "target": target or None}
    if f.since is not None:
        query["since"] = f.since.isoformat()
    context = {
        "error": None,
        "entries": entries,
        "total": total,
        "pg": page,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "f": {
            "actor": actor or "",
            "action": action or "",
            "target": target or "",
            "since": since or "",
        },
        "csv_href": link(DEFAULT_LANG, "/v1/staff/audit.csv", **query),
    }
    return staff_page(request, "staff/audit.html", lang, context, who)
