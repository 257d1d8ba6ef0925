"""The platform database's command line: every component's store uses one history."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from telemetry.db import migrate
from telemetry.db.engine import DEFAULT_DB_URL, redact_url

app = typer.Typer(
    help="Migrate the platform database (SQLite file by default, PostgreSQL by URL).",
    add_completion=False,
    no_args_is_help=True,
)
DbUrlOpt = Annotated[
    str | None,
    typer.Option(
        "--db-url",
        help=f"SQLAlchemy URL (ENERGY_DB_URL; default {DEFAULT_DB_URL}), "
        "e.g. postgresql+psycopg://user@host/energy; the password from the environment",
    ),
]


def _url(flag: str | None) -> str:
    return flag or os.environ.get("ENERGY_DB_URL") or DEFAULT_DB_URL


@app.command()
def upgrade(db_url: DbUrlOpt = None, revision: str = "head") -> None:
    """Bring the database up to REVISION (default: the newest)."""
    url = _url(db_url)
    migrate.upgrade(url, revision)
    typer.echo(f"{redact_url(url)}: at {migrate.current(url)}")


@app.command()
def downgrade(revision: str, db_url: DbUrlOpt = None) -> None:
    """Take the database back to REVISION ('base' removes every table)."""
    url = _url(db_url)
    migrate.downgrade(url, revision)
    typer.echo(f"{redact_url(url)}: at {migrate.current(url) or 'base'}")


@app.command()
def current(db_url: DbUrlOpt = None) -> None:
    """Print the revision the database is at, and the newest there is."""
    url = _url(db_url)
    typer.echo(f"{redact_url(url)}: at {migrate.current(url) or 'base'} (newest {migrate.head()})")
