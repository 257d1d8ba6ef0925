"""The portal with a real SQLite platform database (migrated), for the board and survey pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from telemetry.db import make_engine
from telemetry.db.migrate import upgrade
from tests.civic.board_api import board_app, codes, portal_sign_in
from tests.rollup import city

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def sqlite_board(tmp_path: Path) -> Iterator[tuple[FastAPI, Engine]]:
    url = f"sqlite:///{tmp_path / 'platform.sqlite'}"
    upgrade(url)
    engine = make_engine(url)
    try:
        yield board_app(engine, city.write_sites(tmp_path)), engine
    finally:
        engine.dispose()


def signed_in_browser(app: FastAPI, household: str) -> TestClient:
    """A browser that redeemed a fresh code through the redeem page's form."""
    [code] = codes(app, [household])
    browser = TestClient(app, follow_redirects=False)
    r = portal_sign_in(browser, code, next="/board")
    assert r.status_code == 303 and r.headers["location"] == "/board", r.text
    return browser


def csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, "the page has no form with the session's CSRF token"
    return found.group(1)
