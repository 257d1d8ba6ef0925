"""Migration 0009 (weather_days) up and down on both engines."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import inspect

from telemetry.db import make_engine
from telemetry.db.migrate import current, downgrade, upgrade
from telemetry.db.weather import WeatherDay, daily_means, store_days


def _has_table(db_url: str) -> bool:
    engine = make_engine(db_url)
    try:
        return "weather_days" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_0009_adds_weather_days_and_takes_them_away(db_url: str) -> None:
    upgrade(db_url, "0008")
    assert not _has_table(db_url)
    upgrade(db_url, "0009")
    assert current(db_url) == "0009" and _has_table(db_url)
    engine = make_engine(db_url)
    day = dt.date(2026, 1, 1)
    with engine.begin() as conn:
        store_days(conn, [WeatherDay(156, day, 1.5, -2.0, 6.0)], "a.csv", dt.datetime.now(dt.UTC))
    with engine.connect() as conn:
        assert daily_means(conn, 156, day, day + dt.timedelta(days=1)) == {day: 1.5}
    engine.dispose()
    downgrade(db_url, "0008")
    assert current(db_url) == "0008" and not _has_table(db_url)
    upgrade(db_url)
    assert _has_table(db_url)
