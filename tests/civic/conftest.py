"""The board's store on both engines (the `engine` fixture of tests/db), with a clock to turn."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine

from civic.board.codes import ParticipationCodes
from civic.board.config import BoardConfig
from civic.board.context import Author, Board
from civic.board.posts import PostDraft, PostKind, create
from tests.civic.board_api import board_app
from tests.db.conftest import db_url, engine  # noqa: F401 (fixtures)
from tests.rollup import city
from tests.support.tenancy import lived

SECRET = b"test-signing-key-0123456789"
DONG = "2920064000"


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2026, 11, 2, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class BoardWorld:
    board: Board
    clock: Clock
    codes: ParticipationCodes

    def resident(self, household: str) -> Author:
        issued = self.codes.issue(
            "apt-a", DONG, lived(self.codes.engine, "apt-a", [household]), batch="t"
        )
        return Author(resident_id=self.codes.redeem(issued[0].code).id)

    def post(self, who: Author, title: str = "Solar on the roof", **kw: object) -> int:
        fields: dict = {"kind": PostKind.PROPOSAL, "title": title, "body": "Let us **try**."}
        draft = PostDraft(**fields | {"dong": DONG} | kw)
        return create(self.board, who, draft, None)


@pytest.fixture
def world(engine: Engine) -> BoardWorld:  # noqa: F811 (fixture)
    clock = Clock()
    board = Board(
        engine, BoardConfig(support_threshold=2, answer_days=30, auto_hide_reports=3), clock
    )
    return BoardWorld(board, clock, ParticipationCodes(engine, SECRET, clock))


@pytest.fixture
def app(engine: Engine, tmp_path: Path) -> FastAPI:  # noqa: F811 (fixture)
    """The API with the board on a fresh database of each engine."""
    return board_app(engine, city.write_sites(tmp_path))
