"""One migration history: up and down on SQLite and PostgreSQL, and it matches the tables."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from telemetry.db import make_engine, metadata
from telemetry.db.migrate import current, downgrade, head, upgrade


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_up_down_up(db_url: str) -> None:
    assert current(db_url) is None
    upgrade(db_url)
    assert current(db_url) == head()
    assert _tables(db_url) == set(metadata.tables)
    downgrade(db_url, "base")
    assert current(db_url) is None
    assert _tables(db_url) == set()
    upgrade(db_url)
    assert _tables(db_url) == set(metadata.tables)


def test_migrations_build_exactly_the_declared_tables(db_url: str) -> None:
    """A table changed in tables.py without a migration shows up here as a difference."""
    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def test_cli_upgrade_and_current(db_url: str) -> None:
    from typer.testing import CliRunner

    from telemetry.db.cli import app

    runner = CliRunner()
    done = runner.invoke(app, ["upgrade", "--db-url", db_url])
    assert done.exit_code == 0, done.output
    assert f"at {head()}" in done.output
    shown = runner.invoke(app, ["current", "--db-url", db_url])
    assert f"at {head()} (newest {head()})" in shown.output
    back = runner.invoke(app, ["downgrade", "base", "--db-url", db_url])
    assert back.exit_code == 0 and "at base" in back.output


def test_moderation_log_is_append_only(engine: Engine) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import delete, insert, update
    from sqlalchemy.exc import DBAPIError

    from telemetry.db.tables import moderation_log

    with engine.begin() as conn:
        conn.execute(
            insert(moderation_log).values(
                at=datetime.now(UTC), actor="staff-1", action="hide", note="spam"
            )
        )
    for statement in (update(moderation_log).values(note="rewritten"), delete(moderation_log)):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(statement)
    with engine.connect() as conn:
        assert conn.execute(moderation_log.select()).one().note == "spam"


def test_default_statuses_are_seeded(engine: Engine) -> None:
    from telemetry.db.tables import post_statuses

    with engine.connect() as conn:
        tokens = [r.token for r in conn.execute(post_statuses.select().order_by("position"))]
    assert tokens[0] == "open" and {"answered", "closed"} <= set(tokens)
