"""The real app on both engines for the tenancy promises: a small complex with units, one
programme household at a unit with monthly data in a real InfluxDB, the board and the surveys,
one clock the tests turn, staff who record move-ins (tests/tenancy/world.py)."""

from __future__ import annotations

from tests.db.conftest import db_url, engine  # noqa: F401 (fixtures)
from tests.tenancy.world import clock, months_db, world  # noqa: F401 (fixtures)
