"""Observed daily weather per station and KST day (table `weather_days`).

Written by `python -m importers weather-asos`, read by the households'
degree-days (api/deps.py → insights). Usable from any package. Storing is
idempotent: a day already stored with the same values is left as it is, a
day with changed values is replaced and counted as revised.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import astuple, dataclass

from sqlalchemy import Connection, and_, insert, select, update

from telemetry.db.tables import weather_days as table

GWANGJU_ASOS = 156  # KMA ASOS station 광주


@dataclass(frozen=True, slots=True)
class WeatherDay:
    station: int
    day: dt.date  # KST
    mean_c: float | None
    min_c: float | None
    max_c: float | None


@dataclass(frozen=True, slots=True)
class Stored:
    new: int
    revised: int  # a day already stored whose values changed: replaced
    unchanged: int


def _stored(conn: Connection, days: Sequence[WeatherDay]) -> dict[tuple[int, dt.date], WeatherDay]:
    """The rows already stored for these stations over these days' span (one query)."""
    if not days:
        return {}
    first, last = min(d.day for d in days), max(d.day for d in days)
    rows = conn.execute(
        select(table.c.station, table.c.day, table.c.mean_c, table.c.min_c, table.c.max_c).where(
            table.c.station.in_({d.station for d in days}), table.c.day.between(first, last)
        )
    )
    return {(r.station, r.day): WeatherDay(*r) for r in rows}


def store_days(
    conn: Connection, days: Sequence[WeatherDay], source: str, now: dt.datetime
) -> Stored:
    """Store days (one per station and day); `source`: the file's name, for the record."""
    before = _stored(conn, days)
    new = [d for d in days if (d.station, d.day) not in before]
    changed = [d for d in days if before.get((d.station, d.day), d) != d]
    if new:
        conn.execute(
            insert(table), [_values(d) | {"source": source, "imported_at": now} for d in new]
        )
    for d in changed:
        conn.execute(
            update(table)
            .where(and_(table.c.station == d.station, table.c.day == d.day))
            .values(**_values(d), source=source, imported_at=now)
        )
    return Stored(len(new), len(changed), len(days) - len(new) - len(changed))


def _values(d: WeatherDay) -> dict[str, object]:
    return dict(zip(("station", "day", "mean_c", "min_c", "max_c"), astuple(d), strict=True))


def daily_means(
    conn: Connection, station: int, start: dt.date, end: dt.date
) -> dict[dt.date, float]:
    """Observed daily mean temperatures of `station` over [start, end) (one query); a day
    without a stored mean is absent."""
    rows = conn.execute(
        select(table.c.day, table.c.mean_c).where(
            table.c.station == station,
            table.c.day >= start,
            table.c.day < end,
            table.c.mean_c.is_not(None),
        )
    )
    return {r.day: r.mean_c for r in rows}
