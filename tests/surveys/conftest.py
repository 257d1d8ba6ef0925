"""Surveys over the platform database on both engines, with a clock the tests move."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api import session
from api.app import Parts, create_app
from api.auth import Secrets
from api.settings import ApiConfig
from civic.board import sessions
from civic.board.codes import ParticipationCodes
from civic.surveys.config import SurveysConfig
from civic.surveys.responses import Stratum
from civic.surveys.rounds import Round
from civic.surveys.service import Surveys, build_surveys
from stores.influx import PrivateStore, PublicStore
from stores.reference import Reference
from telemetry.emissions import load_emission_factors
from telemetry.influxql import InfluxQL
from telemetry.registry import load_geography
from tests.db.conftest import db_url, engine  # noqa: F401 (fixtures)

SECRET = b"survey-test-signing-key-0123456789"
SEAL_KEY = b"survey-test-seal-key-0123456789"
K = 3
# Three sites in three districts; apt-a and apt-b are apartments, ind-1 is industrial.
STRATA = {
    "apt-a": Stratum("29140", "apartment"),
    "apt-b": Stratum("29155", "apartment"),
    "ind-1": Stratum("29170", "industrial"),
}
DONGS = {"apt-a": "2914074000", "apt-b": "2915551000", "ind-1": "2917060000"}
START = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)  # 09:00 KST


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def surveys(engine: Engine, clock: Clock) -> Surveys:  # noqa: F811 (fixture)
    return build_surveys(
        engine, SurveysConfig(), STRATA.__getitem__, privacy_k=K, clock=clock, seal_key=SEAL_KEY
    )


@pytest.fixture
def codes(engine: Engine, clock: Clock) -> ParticipationCodes:  # noqa: F811 (fixture)
    return ParticipationCodes(engine, SECRET, clock=clock)


def open_round(surveys: Surveys, clock: Clock) -> Round:
    """The energy-policy template's next round, open from now for two weeks."""
    now = clock()
    draft = surveys.rounds.create(
        "energy_policy", now, now + timedelta(days=14), now + timedelta(days=21)
    )
    return surveys.rounds.open(draft.id)


def answers(support: str = "yes", useful: int = 4, bill: float = 50, **more: object) -> dict:
    base: dict[str, object] = {
        "data_useful": useful,
        "policy_support": support,
        "policy_ratings": {"solar": 5, "retrofit": 4, "heat": 3},
        "monthly_bill": bill,
    }
    if support == "no":
        base["policy_why_not"] = "비용이 너무 크다"
    return base | more


ADMIN = "survey-admin-token"
SIGNING = "survey-session-signing-key"


@pytest.fixture
def app(surveys: Surveys) -> FastAPI:
    """The API app with the surveys; the survey routes never read the time series."""
    unused = InfluxQL("http://127.0.0.1:9")
    return create_app(
        Parts(
            public_store=PublicStore(unused, "energy_public"),
            private_store=PrivateStore(unused, "energy"),
            reference=Reference(load_geography(), None, K),
            config=ApiConfig(privacy_k=K),
            secrets=Secrets(admin_token=ADMIN, site_tokens={}, signing_key=SIGNING),
            factors=load_emission_factors(),
            surveys=surveys,
        )
    )


def signed_in(app: FastAPI, engine: Engine, resident_id: int) -> TestClient:  # noqa: F811
    """A browser holding the resident's session (as redeeming a code sets it) and its CSRF token."""
    # A session on the server, as signing in starts one (the app's surveys have no board:
    # sessions run on the wall clock).
    cookie = sessions.create(engine, resident_id, datetime.now(UTC), sessions.Lifetimes.days(7, 30))
    # Over HTTPS: cookies are Secure by default (board.secure_cookies), so an http client
    # would never send the edit cookie back.
    client = TestClient(
        app,
        base_url="https://testserver",
        headers={session.CSRF_HEADER: session.csrf_token(SIGNING, cookie)},
    )
    client.cookies.set(session.COOKIE, cookie)
    return client
