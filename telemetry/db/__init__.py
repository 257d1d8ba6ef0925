"""The platform's relational database: table definitions, engine, migrations.

Posts, supports, participation codes, survey responses, alert state, the
observed daily weather, the importers' receipts and the rollup workers'
partition leases are records, not time series (DESIGN.md "Platform database"). Every package that reads or writes a
table imports its definition from here, so packages still never import each
other; one Alembic history (``migrations/``) covers the
whole database. SQLite by default, PostgreSQL by URL.
"""

from telemetry.db.engine import DEFAULT_DB_URL, make_engine, redact_url
from telemetry.db.tables import metadata

__all__ = ["DEFAULT_DB_URL", "make_engine", "metadata", "redact_url"]
