"""Migrations up and down, and where a database stands, without an alembic.ini."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from telemetry.db.engine import make_engine, redact_url

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolation would choke on a '%' in a password.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def head() -> str:
    """The newest revision of the project's history."""
    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"migrations have {len(heads)} heads; merge them: {heads}")
    return heads[0]


def current(url: str) -> str | None:
    """The revision a database is at (None: never migrated)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def not_migrated(url: str) -> str | None:
    """Why a process must not open the database at `url` (None: at the newest revision)."""
    at = current(url)
    if at == head():
        return None
    return (
        f"database {redact_url(url)} is at {at or 'no revision'}, not {head()}: "
        "run `python -m telemetry.db upgrade` first"
    )
