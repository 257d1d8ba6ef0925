"""`python -m importers weather-asos FILE`: a KMA ASOS daily file into the platform database.

Unlike the utilities' files this goes straight to the platform database
(telemetry.db, table `weather_days`), not over MQTT: observed weather is
reference data of the city, not a meter's reading. Good rows are stored even
when others are refused; the receipt lists every refusal and the exit code
says there was one.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from importers.asos import AsosFile, read_asos
from telemetry.db import make_engine
from telemetry.db.weather import Stored, store_days

REFUSED_ROWS = 2  # bad input, as for a refused file; the good rows are stored


def import_weather(
    file: Path, station: int, db_url: str, max_bytes: int, check: bool
) -> tuple[list[str], int]:
    """(receipt lines, exit code); a refused file (importers.errors.Refused) and a database
    error (SQLAlchemyError) pass through."""
    parsed = read_asos(file, station, max_bytes)
    stored = _store(parsed, file.name, db_url, check)
    lines = [_summary(file, station, parsed), _outcome(stored, check)]
    if parsed.refused:
        lines.append(f"refused {len(parsed.refused)} rows:")
        lines += [f"  {r.describe(file)}" for r in parsed.refused]
    return lines, REFUSED_ROWS if parsed.refused else 0


def _store(parsed: AsosFile, source: str, db_url: str, check: bool) -> Stored:
    """Store the days; with `check`, the same counts from a transaction rolled back."""
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            transaction = conn.begin()
            stored = store_days(conn, parsed.days, source, dt.datetime.now(dt.UTC))
            if check:
                transaction.rollback()
            else:
                transaction.commit()
            return stored
    finally:
        engine.dispose()


def _summary(file: Path, station: int, parsed: AsosFile) -> str:
    days = parsed.days
    span = f", {days[0].day} – {days[-1].day}" if days else ""
    return f"{file.name} ({parsed.encoding}, station {station}): {len(days)} days read{span}"


def _outcome(stored: Stored, check: bool) -> str:
    counts = f"{stored.new} new, {stored.revised} revised, {stored.unchanged} unchanged"
    if check:
        return f"would store: {counts} (--check: nothing written)"
    return f"stored: {counts}"
