"""The citizens' portal: server-rendered pages served by the API process (see README.md)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).parent / "static"
STATIC_MAX_AGE_S = 86_400


class CachedStatic(StaticFiles):
    """Static files that browsers may keep a day (pages are cached a minute)."""

    async def get_response(self, path: str, scope: Scope):  # type: ignore[no-untyped-def]
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = f"public, max-age={STATIC_MAX_AGE_S}"
            response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def install(app: FastAPI) -> None:
    """Mount the portal's pages at / and its scripts, styles and libraries at /static."""
    from api.web import (
        api_docs,
        board_forms,
        board_pages,
        board_staff_page,
        embed,
        facility_pages,
        household_page,
        operations_page,
        staff_pages,
        survey_pages,
    )
    from api.web.routes import router

    embed.install(app)
    app.include_router(router)
    for module in (
        board_pages,
        board_forms,
        board_staff_page,
        staff_pages,
        facility_pages,
        operations_page,
        survey_pages,
        household_page,
        api_docs,
    ):
        app.include_router(module.router)
    app.mount("/static", CachedStatic(directory=STATIC_DIR), name="static")
