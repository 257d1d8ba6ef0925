"""Errors as RFC 9457 problem details (application/problem+json)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from stores.timewin import WindowRefused
from telemetry.influxql import InfluxQueryError

PROBLEM = "application/problem+json"
log = logging.getLogger("api")


class Problem(BaseModel):
    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[dict[str, Any]] | None = None


class ApiProblem(Exception):
    """Raised by routes: becomes a problem response."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        kind: str = "about:blank",
        headers: dict[str, str] | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.kind = status, title, detail, kind
        self.headers, self.errors = headers, errors


def bad_request(detail: str, field: str | None = None) -> ApiProblem:
    errors = [{"field": field, "message": detail}] if field else None
    return ApiProblem(
        400, "Invalid request", detail, kind="/problems/invalid-request", errors=errors
    )


def conflict(detail: str, field: str | None = None) -> ApiProblem:
    """Values the schema allows that do not fit together or with what the server holds
    (docs/DECISIONS.md "The contract says what the server does"): 409, naming the field."""
    errors = [{"field": field, "message": detail}] if field else None
    return ApiProblem(409, "Conflict", detail, kind="/problems/conflict", errors=errors)


def not_found(detail: str) -> ApiProblem:
    return ApiProblem(404, "Not found", detail, kind="/problems/not-found")


def unauthorized(detail: str) -> ApiProblem:
    return ApiProblem(
        401,
        "Unauthorized",
        detail,
        kind="/problems/unauthorized",
        headers={"WWW-Authenticate": "Bearer"},
    )


def forbidden(detail: str) -> ApiProblem:
    return ApiProblem(403, "Forbidden", detail, kind="/problems/forbidden")


def problem_response(
    request: Request, status: int, title: str, detail: str | None, **extra: Any
) -> JSONResponse:
    headers = extra.pop("headers", None) or {}
    body = Problem(
        type=extra.pop("kind", "about:blank"),
        title=title,
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=extra.pop("errors", None),
    )
    headers.setdefault("Cache-Control", "no-store")
    return JSONResponse(
        body.model_dump(exclude_none=True), status_code=status, media_type=PROBLEM, headers=headers
    )


def install(app: FastAPI) -> None:
    plain = app.openapi

    def openapi() -> dict[str, Any]:
        built = app.openapi_schema is None
        schema = plain()  # FastAPI builds it once (on first use) and keeps it
        if built:
            problem_content(schema)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.exception_handler(ApiProblem)
    async def _api_problem(request: Request, exc: ApiProblem) -> JSONResponse:
        return problem_response(
            request,
            exc.status,
            exc.title,
            exc.detail,
            kind=exc.kind,
            headers=dict(exc.headers or {}),
            errors=exc.errors,
        )

    @app.exception_handler(WindowRefused)
    async def _window(request: Request, exc: WindowRefused) -> JSONResponse:
        return await _api_problem(request, bad_request(exc.detail, exc.field))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
            for e in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem_response(
            request, 422, "Invalid request", detail, kind="/problems/invalid-request", errors=errors
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 405:
            return _method_not_allowed(request, exc)
        return problem_response(
            request,
            exc.status_code,
            _title(exc.status_code),
            str(exc.detail),
            headers=dict(exc.headers or {}),
        )

    @app.exception_handler(InfluxQueryError)
    async def _store_down(request: Request, exc: InfluxQueryError) -> JSONResponse:
        log.warning("data store error on %s: %s", request.url.path, exc)
        return problem_response(
            request,
            503,
            "Data store unavailable",
            "the time-series store did not answer; retry later",
            kind="/problems/store-unavailable",
            headers={"Retry-After": "10"},
        )

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return problem_response(
            request, 500, "Internal Server Error", "an unexpected error; it has been logged"
        )


METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of this path answers (Starlette's 405 names only those of the
    first route it found: a path with GET and POST routes said `Allow: GET`)."""
    routes = request.app.router.routes
    found = {
        method
        for method in METHODS
        if any(r.matches({**request.scope, "method": method})[0] is Match.FULL for r in routes)
    }
    return sorted(found | {"OPTIONS"})


def _method_not_allowed(request: Request, exc: StarletteHTTPException) -> Response:
    """405 with the path's whole `Allow`; an `OPTIONS` (not a CORS preflight, which the CORS
    middleware answers before) is answered 204 with the same `Allow` (RFC 9110 9.3.7)."""
    allow = ", ".join(allowed_methods(request))
    if request.method == "OPTIONS":
        return Response(status_code=204, headers={"Allow": allow, "Cache-Control": "no-store"})
    headers = dict(exc.headers or {}) | {"Allow": allow}
    return problem_response(request, 405, _title(405), str(exc.detail), headers=headers)


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


# What each status a route may answer means; routes declare theirs with problems().
WHY: dict[int, str] = {
    400: "invalid parameters (a rule the schema cannot state; `errors` names the field)",
    401: "missing, wrong or ended credentials (token, link or session)",
    403: "the credentials do not open this resource (or a write without its CSRF token)",
    404: "no such resource",
    409: "the resource's state does not allow this now",
    410: "gone: expired or cancelled",
    413: "the body is too large",
    415: "unsupported media type",
    422: "parameters or body failed validation",
    429: "too many requests: retry after `Retry-After` seconds",
    503: "a store the route needs is unavailable: retry after `Retry-After` seconds",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses` of a route or router: each status it may answer, as a problem."""
    return {
        s: {"model": Problem, "description": WHY[s], "content": {PROBLEM: {}}} for s in statuses
    }


def problem_content(schema: dict[str, Any]) -> None:
    """Every error response of the OpenAPI document is `application/problem+json` with the
    Problem schema: so the exception handlers above answer, whatever FastAPI or a route's
    `model` would declare (FastAPI puts a model under application/json, and adds its own
    422 of another shape)."""
    ref = {"$ref": "#/components/schemas/Problem"}
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            for status, response in operation.get("responses", {}).items():
                if str(status)[0] in "45":
                    response["content"] = {PROBLEM: {"schema": ref}}
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Problem", Problem.model_json_schema())
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)


def answers_as(*media_types: str) -> dict[int | str, dict[str, Any]]:
    """A 200 in the media types a route answers (text ones carry a string)."""
    return {
        200: {
            "description": "the content, in the type the path or the request asks for",
            "content": {
                m: {"schema": {} if "json" in m else {"type": "string"}} for m in media_types
            },
        }
    }


# The statuses most routes share; a route adds its own with problems(...).
PROBLEM_RESPONSES = problems(400, 404, 422, 503)
AUTH_RESPONSES = problems(401, 403)
# A resident's session: 401 without one, 403 when the account is blocked.
RESIDENT_READ = problems(401, 403)
# A resident's write: the session, its CSRF token and origin (403), the body's size (413),
# the rates per resident and per address (429), the state of what is written to (409).
RESIDENT_WRITE = problems(401, 403, 409, 413, 429)
# Staff writes go through the per-address limit and the body's size as well.
STAFF_WRITE = problems(401, 403, 409, 413, 429)
