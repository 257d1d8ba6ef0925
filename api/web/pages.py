"""Rendering: the Jinja2 environment, shared page context and the portal's response headers."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api.web import fmt
from api.web.i18n import DEFAULT_LANG, Translator

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.filters["num"] = fmt.number
templates.env.filters["pct"] = fmt.pct
templates.env.globals["kst_minute"] = fmt.kst_minute
templates.env.globals["kst_time"] = fmt.kst_time
templates.env.globals["kst_time_ms"] = fmt.kst_time_ms
templates.env.globals["period_label"] = fmt.period_label

PAGE_MAX_AGE_S = 60


def csp(frame_ancestors: str = "'none'") -> str:
    """No inline script or style: every script and style sheet is a file the app serves."""
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
        f"form-action 'self'; frame-ancestors {frame_ancestors}"
    )


def link(lang: str, path: str, **params: Any) -> str:
    """A portal URL that keeps the reader's language (Korean needs no parameter)."""
    query = {k: v for k, v in params.items() if v is not None}
    if lang != DEFAULT_LANG:
        query["lang"] = lang
    return f"{path}?{urlencode(query)}" if query else path


def grafana_board(base: str | None, uid: str | None) -> str | None:
    """The citizens' Grafana board of a page, when a citizens' Grafana is configured; the
    citizens' boards take no variables, so the board itself is the link."""
    return f"{base}/d/{uid}" if base and uid else None


def render(
    request: Request,
    name: str,
    lang: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
    frame_ancestors: str = "'none'",
) -> HTMLResponse:
    t = Translator(lang)
    here = request.url.path
    params = {k: v for k, v in request.query_params.items() if k != "lang"}
    other = t("switch_lang_code")
    page = {
        "t": t,
        "lang": t.lang,
        "link": lambda path, **p: link(t.lang, path, **p),
        "switch_href": link(other, here, **params),
        "licence": request.app.state.config.licence,
        "k": request.app.state.config.privacy_k,
        "path": here,
        "simulated": request.app.state.reference.simulated(),
        **context,
    }
    page["grafana_href"] = grafana_board(
        request.app.state.config.grafana.citizens_url, context.get("board_uid")
    )
    response = templates.TemplateResponse(request, name, page, status_code=status_code)
    response.headers["Content-Security-Policy"] = csp(frame_ancestors)
    response.headers["Cache-Control"] = f"public, max-age={PAGE_MAX_AGE_S}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Content-Language"] = t.lang
    if frame_ancestors == "'none'":
        response.headers["X-Frame-Options"] = "DENY"
    return response
