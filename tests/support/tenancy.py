"""Households for tests that are about something else: each unit's current tenancy, made
(moved in) when the unit has none, written straight to the platform database."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from civic.board.codes import ForTenancy
from telemetry.db import tenancies

MOVED_IN = dt.date(2024, 1, 1)
NOW = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def lived(engine: Engine, site: str, units: list[str], day: dt.date = MOVED_IN) -> list[ForTenancy]:
    """The current household of each unit (the unit as given is its id here: no registry)."""
    out = []
    with engine.begin() as conn:
        for unit in units:
            found = tenancies.current(conn, site, unit) or tenancies.move_in(
                conn, site, unit, day, NOW
            )
            out.append(ForTenancy(unit, found.id))
    return out
