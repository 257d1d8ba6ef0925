"""Alembic environment: run migrations on the connection or URL the caller gives."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from telemetry.db.engine import make_engine
from telemetry.db.tables import metadata

config = context.config


def _run(connection: object) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things: batch mode rebuilds the table instead.
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_sqlite_safely(conn: Connection) -> None:
    """SQLite: batch mode rebuilds a table by dropping it, and with foreign keys on, dropping a
    parent table (residents) deletes or nulls its children's rows (sessions, codes' links).
    Foreign keys are off while migrating (the pragma is ignored inside a transaction, so before
    it) and checked after: a migration that broke a reference fails."""
    conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
    conn.commit()
    try:
        _run(conn)
        broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"the migration left broken foreign keys: {broken[:5]}")
    finally:
        conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        conn.commit()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            _run_sqlite_safely(conn)
        else:
            _run(conn)
    engine.dispose()
