"""One migration history: up and down on SQLite and PostgreSQL, and it matches the tables."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

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
