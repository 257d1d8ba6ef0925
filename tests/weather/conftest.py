"""Observed weather's tests: the platform database on both engines."""

from tests.db.conftest import db_url, engine  # noqa: F401 (fixtures)
