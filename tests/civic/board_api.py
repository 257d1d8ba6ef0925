"""The API app with a real platform database, and the people who use the board."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

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
from telemetry.db import make_engine
from telemetry.db.migrate import upgrade
from telemetry.emissions import load_emission_factors
from telemetry.influxql import InfluxQL
from telemetry.registry import load_geography, load_registry
from tests.rollup import city
from tests.staff.people import StaffBrowser, staff_member
from tests.support.tenancy import lived

ADMIN = "board-admin-token"
SITE_TOKENS = {"apt": "apt-manager-token", "ind-1": "ind-1-token"}
SIGNING_KEY = "board-signing-key-0123456789"
BOARD = BoardConfig(support_threshold=2, answer_days=30, auto_hide_reports=3, secure_cookies=False)


def board_app(
    engine: Engine,
    sites: Path,
    influx_url: str = "http://127.0.0.1:9",
    public_db: str = "none",
    surveys_clock: Callable[[], datetime] | None = None,
    board: BoardConfig = BOARD,
) -> FastAPI:
    """The real app; InfluxDB is reached only when a post refers to a chart.

    With `surveys_clock`, the surveys too, on the same database, by the sites' strata."""
    config = ApiConfig(board=board)
    ql = InfluxQL(influx_url)
    registry = load_registry(sites)
    surveys = (
        build_surveys(
            engine,
            SurveysConfig(),
            registry_stratum(registry),
            config.privacy_k,
            surveys_clock,
            seal_key=SIGNING_KEY.encode(),
        )
        if surveys_clock
        else None
    )
    app = create_app(
        Parts(
            public_store=PublicStore(ql, public_db),
            private_store=PrivateStore(ql, "private-unused"),
            reference=Reference(load_geography(), registry, config.privacy_k),
            config=config,
            secrets=Secrets(ADMIN, dict(SITE_TOKENS), SIGNING_KEY),
            factors=load_emission_factors(),
            board=Board(engine, board),
            surveys=surveys,
        )
    )
    # Tests sign in many residents from one address: a roomy bucket for code tries.
    app.state.board_limits["redeem"] = TokenBuckets(100.0, 100)
    return app


@contextmanager
def survey_app(tmp_path: Path, now: datetime, board: BoardConfig = BOARD) -> Iterator[FastAPI]:
    """The board and the surveys on a fresh SQLite file, the surveys' clock stopped at `now`."""
    url = f"sqlite:///{tmp_path / 'platform.sqlite'}"
    upgrade(url)
    engine = make_engine(url)
    try:
        yield board_app(engine, city.write_sites(tmp_path), surveys_clock=lambda: now, board=board)
    finally:
        engine.dispose()


def open_round(app: FastAPI, now: datetime) -> int:
    """A round of the `energy_policy` template, open from an hour before `now` for two weeks."""
    s = app.state.surveys
    hour, day = timedelta(hours=1), timedelta(days=1)
    draft = s.rounds.create("energy_policy", now - hour, now + 14 * day, now + 21 * day)
    return s.rounds.open(draft.id).id


@dataclass
class Person:
    """A browser of its own: its own cookie jar, its CSRF token once signed in."""

    client: TestClient
    csrf: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.client.get(path, headers=self.headers, **kw)

    def write(self, method: str, path: str, json: Any = None) -> httpx.Response:
        headers = dict(self.headers)
        if self.csrf:
            headers["X-CSRF-Token"] = self.csrf
        return self.client.request(method, path, json=json, headers=headers)

    def post(self, path: str, json: Any = None) -> httpx.Response:
        return self.write("POST", path, json)


def manager(app: FastAPI, site: str = "apt") -> Person:
    return Person(TestClient(app), headers={"Authorization": f"Bearer {SITE_TOKENS[site]}"})


def staff(app: FastAPI) -> StaffBrowser:
    """City staff: kim, a moderator, signed in with her own account (tests/staff/people.py)."""
    return staff_member(app, "kim", "moderator")


def codes(app: FastAPI, households: list[str], site: str = "apt") -> list[str]:
    """A code for each unit's household (moved in first when nobody lives there)."""
    lived(app.state.board.engine, site, households)
    r = manager(app, site).post("/v1/board/codes", {"site": site, "households": households})
    assert r.status_code == 201, r.text
    return [c["code"] for c in r.json()["codes"]]


def resident(app: FastAPI, code: str) -> Person:
    person = Person(TestClient(app))
    r = person.post("/v1/board/redeem", {"code": code})
    assert r.status_code == 200, r.text
    person.csrf = r.json()["csrf_token"]
    return person


def residents(app: FastAPI, n: int, prefix: str = "101") -> list[Person]:
    return [resident(app, c) for c in codes(app, [f"{prefix}-{i}" for i in range(1, n + 1)])]


SIGNIN_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def portal_sign_in(browser: TestClient, code: str, **form: str) -> httpx.Response:
    """Sign in through the portal's form as a browser does: the sign-in page first (its
    cookie and the form's token), then the form. The page's cookie is carried by hand, so
    that a plain-http client sends it even when the configuration makes it Secure."""
    page = browser.get("/board/redeem")
    assert page.status_code == 200, page.text
    found = SIGNIN_TOKEN.search(page.text)
    assert found, "the sign-in page has no form token"
    nonce = page.cookies.get(session.SIGNIN_COOKIE) or browser.cookies.get(session.SIGNIN_COOKIE)
    assert nonce, "the sign-in page set no sign-in cookie"
    browser.cookies.set(session.SIGNIN_COOKIE, nonce)
    return browser.post("/board/redeem", data={"code": code, "csrf_token": found.group(1)} | form)
