"""/docs: the API's operations, listed from its OpenAPI document on a page of the portal's own.

FastAPI's Swagger UI and ReDoc load their scripts from a CDN, on the origin
that holds the residents' cookies; they are turned off (api/transport.py).
This page is rendered on the server under the portal's CSP, without any
script; the full document stays at /openapi.json.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.web.i18n import pick_lang
from api.web.pages import render
from api.web.routes import Lang

router = APIRouter(include_in_schema=False)
METHODS = ("get", "post", "put", "patch", "delete")


def operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Each operation's tag, method, path, summary and parameters, by tag then path."""
    out = []
    for path, item in document.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            out.append(
                {
                    "tag": (op.get("tags") or ["other"])[0],
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "params": [p["name"] for p in op.get("parameters", []) if "name" in p],
                }
            )
    return sorted(out, key=lambda o: (o["tag"], o["path"], o["method"]))


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request, lang: Lang = None) -> HTMLResponse:
    document = request.app.openapi()
    context = {
        "page": "",
        "title": document["info"]["title"],
        "version": document["info"]["version"],
        "ops": operations(document),
    }
    return render(request, "api_docs.html", pick_lang(lang), context)
