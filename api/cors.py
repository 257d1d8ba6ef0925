"""CORS per route: open data to any origin, everything else to none.

The routes of the `public` and `open data` tags (and `/openapi.json`) answer
only from the public bucket and take no credentials, so any page on any origin
may read them: every answer of theirs carries `Access-Control-Allow-Origin: *`
(never `Allow-Credentials`: a browser then sends no cookie and reads no answer
that needs one), and the validators and rate-limit headers are exposed to
scripts. A preflight (`OPTIONS` with `Access-Control-Request-Method`) for such
a route is answered here: `GET`, and the conditional-request headers.

Every other route (residents, households, facility managers, staff, operators,
the board) carries no CORS header at all, so a browser refuses another origin's
script its answer, and its preflight goes on to the app (405 with `Allow`).
Which routes are open is read from the app's own OpenAPI document (the tags of
each path's GET operation) at the first request, so a route added to a public
router is open without a list here, and the contract says which routes are open.
"""

from __future__ import annotations

import re

from fastapi import FastAPI
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

OPEN_TAGS = frozenset({"public", "open data"})
OPEN_PATHS = ("/openapi.json",)
ALLOW_METHODS = "GET"  # HEAD is answered 405 by the API routes (FastAPI adds no HEAD)
# Request headers a script may set on an open route: content negotiation and revalidation.
ALLOW_HEADERS = frozenset(
    {"accept", "accept-language", "content-language", "if-none-match", "if-modified-since"}
)
EXPOSE = (
    "ETag, Last-Modified, Link, Content-Disposition, RateLimit, RateLimit-Policy, Retry-After, "
    "Window-Adjusted"
)
MAX_AGE_S = "3600"


def open_patterns(app: FastAPI) -> list[re.Pattern[str]]:
    """The paths whose GET operation is tagged public or open data, as patterns."""
    paths = app.openapi().get("paths", {})
    found = [p for p, ops in paths.items() if OPEN_TAGS & set(ops.get("get", {}).get("tags", []))]
    return [path_pattern(p) for p in (*found, *OPEN_PATHS)]


def path_pattern(template: str) -> re.Pattern[str]:
    """/v1/districts/{code}/dongs -> ^/v1/districts/[^/]+/dongs$"""
    parts = re.split(r"\{[^}]*\}", template)
    return re.compile("^" + "[^/]+".join(re.escape(part) for part in parts) + "$")


class RouteCors:
    """Pure ASGI: `*` on open routes' answers and preflights; nothing on any other route."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._open: list[re.Pattern[str]] | None = None

    def is_open(self, scope: Scope) -> bool:
        if self._open is None:
            self._open = open_patterns(scope["app"])
        path = scope["path"]
        return any(p.match(path) for p in self._open)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.is_open(scope):
            await self.app(scope, receive, send)
            return
        request = Headers(scope=scope)
        if scope["method"] == "OPTIONS" and "access-control-request-method" in request:
            await preflight(request)(scope, receive, send)
            return

        async def open_to_all(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Access-Control-Allow-Origin"] = "*"
                headers["Access-Control-Expose-Headers"] = EXPOSE
            await send(message)

        await self.app(scope, receive, open_to_all)


def preflight(request: Headers) -> Response:
    asked = [
        h.strip().lower() for h in request.get("access-control-request-headers", "").split(",")
    ]
    allowed = ", ".join(h for h in asked if h in ALLOW_HEADERS)
    headers = {
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Methods": ALLOW_METHODS,
        "Access-Control-Max-Age": MAX_AGE_S,
    }
    if allowed:
        headers["Access-Control-Allow-Headers"] = allowed
    return Response(status_code=204, headers=headers)
