"""The real app on both engines (SQLite, PostgreSQL) with one clock the tests turn: the board,
its residents' sessions and codes, and the surveys all read it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from api import session
from api.app import Parts, create_app
from api.auth import Secrets
from api.ratelimit import TokenBuckets
from api.settings import ApiConfig
from civic.board.config import BoardConfig
from civic.board.context import Board
from civic.surveys.config import SurveysConfig
from civic.surveys.service import build_surveys, registry_stratum
from stores.influx import PrivateStore, PublicStore
from stores.reference import Reference
from telemetry.db.tables import resident_sessions
from telemetry.emissions import load_emission_factors
from telemetry.influxql import InfluxQL
from telemetry.registry import load_geography, load_registry
from tests.civic.board_api import ADMIN, SIGNING_KEY, SITE_TOKENS
from tests.db.conftest import db_url, engine  # noqa: F401 (fixtures)
from tests.rollup import city
from tests.support.tenancy import lived

BOARD = BoardConfig(
    support_threshold=2,
    answer_days=30,
    auto_hide_reports=3,
    secure_cookies=False,
    session_idle_days=2,
    session_max_days=5,
    code_lifetime_days=10,
)
DONG = city.APARTMENT_DONG[1]
PROPOSAL = {"kind": "proposal", "title": "Shade the car park", "body": "with solar", "dong": DONG}


@dataclass
class Clock:
    """Starts at the wall clock's now: the cookie jar drops cookies past their real expiry."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class World:
    app: FastAPI
    engine: Engine
    clock: Clock
    config: BoardConfig

    def client(self, **kw: Any) -> TestClient:
        return TestClient(self.app, follow_redirects=False, **kw)

    def codes(self, households: list[str], site: str = "apt") -> list[str]:
        """A code for each unit's household (moved in first when nobody lives there)."""
        lived(self.engine, site, households)
        r = self.manager(site).post(
            "/v1/board/codes", json={"site": site, "households": households}
        )
        assert r.status_code == 201, r.text
        return [c["code"] for c in r.json()["codes"]]

    def manager(self, site: str = "apt") -> TestClient:
        return TestClient(self.app, headers={"Authorization": f"Bearer {SITE_TOKENS[site]}"})

    def admin(self) -> TestClient:
        return TestClient(self.app, headers={"Authorization": f"Bearer {ADMIN}"})

    def sign_in(self, browser: TestClient, code: str) -> str:
        """Redeem through the API in this browser; the CSRF token (also set as a cookie)."""
        r = browser.post("/v1/board/redeem", json={"code": code})
        assert r.status_code == 200, r.text
        return r.json()["csrf_token"]

    def resident(self, household: str) -> tuple[TestClient, str]:
        browser = self.client()
        return browser, self.sign_in(browser, self.codes([household])[0])

    def session_row(self, cookie: str) -> Any:
        from civic.board.sessions import id_hash

        with self.engine.connect() as conn:
            return conn.execute(
                select(resident_sessions).where(resident_sessions.c.id_hash == id_hash(cookie))
            ).one()


def build(db: Engine, sites: Path, clock: Clock, board: BoardConfig, **config: Any) -> FastAPI:
    """The real app (create_app) with the board and the surveys on `db`, on `clock`."""
    api_config = ApiConfig(board=board, **config)
    ql = InfluxQL("http://127.0.0.1:9")  # nothing here reads the time series
    registry = load_registry(sites)
    surveys = build_surveys(
        db,
        SurveysConfig(),
        registry_stratum(registry),
        api_config.privacy_k,
        clock,
        seal_key=SIGNING_KEY.encode(),
    )
    app = create_app(
        Parts(
            public_store=PublicStore(ql, "none"),
            private_store=PrivateStore(ql, "private-unused"),
            reference=Reference(load_geography(), registry, api_config.privacy_k),
            config=api_config,
            secrets=Secrets(ADMIN, dict(SITE_TOKENS), SIGNING_KEY),
            factors=load_emission_factors(),
            board=Board(db, board, clock),
            surveys=surveys,
        )
    )
    app.state.board_limits["redeem"] = TokenBuckets(100.0, 100)
    return app


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def world(engine: Engine, tmp_path: Path, clock: Clock) -> World:  # noqa: F811 (fixture)
    sites = city.write_sites(tmp_path)
    return World(build(engine, sites, clock, BOARD, privacy_k=1), engine, clock, BOARD)


def set_cookies(response: httpx.Response) -> dict[str, str]:
    """Each cookie the response sets or clears: name -> the whole Set-Cookie header."""
    return {h.split("=", 1)[0]: h for h in response.headers.get_list("set-cookie")}


def cleared(header: str) -> bool:
    low = header.lower()
    return "max-age=0" in low or "expires=thu, 01 jan 1970" in low


def copy_of(browser: TestClient) -> TestClient:
    """Another browser holding a copy of this one's resident cookies (a stolen cookie)."""
    other = TestClient(browser.app, follow_redirects=False)
    for name in (session.COOKIE, session.CSRF_COOKIE):
        if name in browser.cookies:
            other.cookies.set(name, browser.cookies[name])
    return other


def put_cookie(browser: TestClient, name: str, value: str) -> None:
    """Set a cookie by hand as the server would (its domain and path), replacing any."""
    for cookie in list(browser.cookies.jar):
        if cookie.name == name:
            browser.cookies.delete(name, domain=cookie.domain, path=cookie.path)
    browser.cookies.set(name, value, domain="testserver.local", path="/")
