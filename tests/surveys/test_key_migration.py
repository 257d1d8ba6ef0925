"""Migration 0008 on both engines: rounds already open or past keep the key derived as
before (`legacy`), drafts get theirs when they open; down and up again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from telemetry.db import make_engine
from telemetry.db.migrate import downgrade, upgrade
from tests.db.conftest import db_url  # noqa: F401 (fixture)

NOW = datetime(2026, 3, 2, tzinfo=UTC).replace(tzinfo=None)
ROUNDS = sa.table(
    "survey_rounds", sa.column("id", sa.Integer), sa.column("template", sa.String),
    sa.column("number", sa.Integer), sa.column("title", sa.String),
    sa.column("questions", sa.JSON), sa.column("status", sa.String),
    sa.column("opens_at", sa.DateTime), sa.column("closes_at", sa.DateTime),
    sa.column("publish_at", sa.DateTime),
)  # fmt: skip


def _keys(url: str) -> dict[str, str | None] | None:
    engine = make_engine(url)
    try:
        columns = {c["name"] for c in sa.inspect(engine).get_columns("survey_rounds")}
        if "seal_key" not in columns:
            return None
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT status, seal_key FROM survey_rounds")).all()
        return {status: key for status, key in rows}
    finally:
        engine.dispose()


def test_0008_keeps_old_rounds_under_the_legacy_key(db_url: str) -> None:  # noqa: F811
    upgrade(db_url, "0007")
    engine = make_engine(db_url)
    with engine.begin() as conn:
        for n, status in enumerate(("published", "open", "draft"), start=1):
            conn.execute(sa.insert(ROUNDS).values(
                id=n, template="energy_policy", number=n, title=f"r{n}", questions={},
                status=status, opens_at=NOW + timedelta(days=n), closes_at=NOW + timedelta(days=9),
                publish_at=NOW + timedelta(days=10)))  # fmt: skip
    engine.dispose()
    upgrade(db_url)
    assert _keys(db_url) == {"published": "legacy", "open": "legacy", "draft": None}
    downgrade(db_url, "0007")
    assert _keys(db_url) is None
    upgrade(db_url)
    assert _keys(db_url) == {"published": "legacy", "open": "legacy", "draft": None}
