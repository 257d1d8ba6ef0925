"""What the portal's resident pages share: the session, form bodies, safe redirects, no caching.

Pages that know the reader are never cached (`private, no-store`); forms post
`application/x-www-form-urlencoded` bodies (read here, at most
guards.MAX_BODY_BYTES) carrying the session's CSRF token in the hidden field
`csrf_token`, checked by the same rule as the API's header (guards.check_write).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from api import guards, session
from api.guards import SessionResident
from api.problems import ApiProblem
from api.web.i18n import pick_lang
from api.web.pages import link, render
from civic.board.context import Refused


@dataclass(frozen=True)
class Form:
    """A urlencoded form body: one value per field, or every value of a repeated field."""

    fields: dict[str, list[str]]

    def get(self, name: str, default: str = "") -> str:
        values = self.fields.get(name)
        return values[0].strip() if values else default

    def all(self, name: str) -> list[str]:
        return [v.strip() for v in self.fields.get(name, [])]


async def read_form(request: Request) -> Form:
    body = await request.body()
    if len(body) > guards.MAX_BODY_BYTES:
        raise ApiProblem(413, "Body too large", f"at most {guards.MAX_BODY_BYTES} bytes per form")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiProblem(400, "Bad form", "the form is not UTF-8") from exc
    return Form(parse_qs(text, keep_blank_values=True, max_num_fields=400))


def csrf_for(request: Request, who: SessionResident | None) -> str | None:
    if who is None:
        return None
    return session.csrf_token(request.app.state.secrets.signing_key, who.session_id)


def resident_write(request: Request, form: Form) -> SessionResident:
    """The signed-in resident of a form post, its CSRF field and rate checked (else a problem)."""
    guards.small_body(request)
    who = guards.current_resident(request)
    guards.check_write(request, who, form.get(session.CSRF_FIELD) or None)
    return who


def safe_next(value: str | None, fallback: str = "/board") -> str:
    """Only a path of this site: never another host (`//host`, `https://…`, `/\\host`)."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return fallback
    return value if "\r" not in value and "\n" not in value else fallback


def see_other(lang: str, path: str, **params: Any) -> RedirectResponse:
    return RedirectResponse(link(lang, path, **params), status_code=303)


def private_page(
    request: Request, name: str, lang: str | None, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """A page rendered with the reader's session (if any) and never cached."""
    who = guards.session_of(request) if _has_db(request) else None
    names = {c: d.name_ko for c, d in request.app.state.reference.geo.dongs.items()}
    context = {"who": who, "csrf": csrf_for(request, who), "dong_names": names, **context}
    response = render(request, name, pick_lang(lang), context, status_code=status_code)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def refused_page(
    request: Request, lang: str | None, exc: ApiProblem | Refused | ValidationError
) -> HTMLResponse:
    """A refused form: the reason in words, with a way back (no JavaScript needed)."""
    if isinstance(exc, Refused):
        status, detail = guards.STATUS[exc.why][0], exc.detail
    elif isinstance(exc, ValidationError):
        status = 422
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    else:
        status, detail = exc.status, exc.detail
    context = {"page": "board", "status": status, "detail": detail, "back": request.url.path}
    return private_page(request, "board/refused.html", lang, context, status)


def _has_db(request: Request) -> bool:
    state = request.app.state
    return getattr(state, "board", None) is not None or getattr(state, "db", None) is not None
