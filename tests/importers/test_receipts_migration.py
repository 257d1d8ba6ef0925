"""Migration 0010 (import_receipts) up and down on both engines."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import inspect

from telemetry.db import make_engine
from telemetry.db.import_receipts import ImportRecord, last, record
from telemetry.db.migrate import current, downgrade, upgrade
from tests.db.conftest import db_url  # noqa: F401 (fixture)


def _has_table(db_url: str) -> bool:  # noqa: F811 (fixture)
    engine = make_engine(db_url)
    try:
        return "import_receipts" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_0010_adds_import_receipts_and_takes_them_away(db_url: str) -> None:  # noqa: F811
    upgrade(db_url, "0009")
    assert not _has_table(db_url)
    upgrade(db_url, "0010")
    assert current(db_url) == "0010" and _has_table(db_url)
    at = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    meters = {"hh-1-electricity": {"stored": 3, "refused": {"beyond_retention": 1}}}
    entry = ImportRecord("a1", "apt", "hh-1", "imp", "a.xml", "greenbutton", at, at, meters)
    engine = make_engine(db_url)
    with engine.begin() as conn:
        record(conn, entry)
    with engine.connect() as conn:
        assert last(conn, 5) == [entry]
    engine.dispose()
    downgrade(db_url, "0009")
    assert current(db_url) == "0009" and not _has_table(db_url)
    upgrade(db_url)
    assert _has_table(db_url)
