"""Surveys over the platform database on both engines, with a clock the tests move."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from api.civic.codes import ParticipationCodes
from api.civic.surveys import Surveys, build_surveys
from api.civic.surveys_responses import Stratum
from api.civic.surveys_rounds import Round
from api.settings import SurveysConfig
from tests.db.conftest import db_url, engine  # noqa: F401 (fixtures)

SECRET = b"survey-test-signing-key-0123456789"
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
    return build_surveys(engine, SurveysConfig(), STRATA.__getitem__, privacy_k=K, clock=clock)


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
