"""Errors as RFC 9457 problem details (application/problem+json)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

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
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
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


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "invalid parameters", "content": {PROBLEM: {}}},
    404: {"model": Problem, "description": "unknown code", "content": {PROBLEM: {}}},
    422: {
        "model": Problem,
        "description": "parameters failed validation",
        "content": {PROBLEM: {}},
    },
    503: {
        "model": Problem,
        "description": "the time-series store is unavailable",
        "content": {PROBLEM: {}},
    },
}
AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "missing or wrong token", "content": {PROBLEM: {}}},
    403: {
        "model": Problem,
        "description": "token not valid for this resource",
        "content": {PROBLEM: {}},
    },
}
