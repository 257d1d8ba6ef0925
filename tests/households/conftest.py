"""Fixtures of the households tests (months, savings, reports, programmes, degree-days):
the households' city over a real InfluxDB."""

from tests.db.conftest import db_url  # noqa: F401 (fixture: SQLite and PostgreSQL)
from tests.households.household_city import homes  # noqa: F401 (fixture)
