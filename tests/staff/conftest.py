"""The real app (board, surveys, alerts, staff) on both engines, with staff signed in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine

from tests.civic.board_api import board_app
from tests.db.conftest import db_url, engine  # noqa: F401 (fixtures)
from tests.rollup import city
from tests.staff.people import fast_staff


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def app(engine: Engine, tmp_path: Path, clock: Clock) -> FastAPI:  # noqa: F811 (fixture)
    """Board, surveys (their clock is `clock`) and alerts on one fresh database of each engine."""
    built = board_app(engine, city.write_sites(tmp_path), surveys_clock=clock)
    fast_staff(built)
    return built
