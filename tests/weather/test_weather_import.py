"""`python -m importers weather-asos`: the receipt, refusals, --check and re-imports, on both
engines."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from api.settings import API_CONFIG_VERSION, ApiConfig
from importers.cli import app
from telemetry.config.yaml_model import load_model
from telemetry.db import make_engine
from telemetry.db.migrate import head, upgrade
from telemetry.db.tables import weather_days
from telemetry.db.weather import daily_means
from telemetry.registry import ConfigError

CASES = Path(__file__).parent / "testcases"


def _import(db_url: str, file: Path, *flags: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["weather-asos", str(file), "--db-url", db_url, *flags])


def _rows(db_url: str) -> list[tuple]:  # type: ignore[type-arg]
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            query = select(
                weather_days.c.station,
                weather_days.c.day,
                weather_days.c.mean_c,
                weather_days.c.min_c,
                weather_days.c.max_c,
                weather_days.c.source,
            ).order_by(weather_days.c.day)
            return [tuple(r) for r in conn.execute(query)]
    finally:
        engine.dispose()


def test_import_prints_a_receipt_and_a_reimport_stores_nothing_twice(
    db_url: str, tmp_path: Path
) -> None:
    upgrade(db_url)
    file = CASES / "cp949_gwangju" / "input.csv"
    first = _import(db_url, file)
    assert first.exit_code == 0, first.output
    assert "input.csv (cp949, station 156): 4 days read, 2026-01-01 – 2026-01-04" in first.output
    assert "stored: 4 new, 0 revised, 0 unchanged" in first.output
    stored = _rows(db_url)
    assert stored[0] == (156, dt.date(2026, 1, 1), -1.2, -5.4, 3.8, "input.csv")
    assert stored[2][2] is None  # the empty mean cell
    again = _import(db_url, file)
    assert again.exit_code == 0, again.output
    assert "stored: 0 new, 0 revised, 4 unchanged" in again.output
    assert _rows(db_url) == stored
    # A corrected export: one day's mean changed, one day added.
    text = file.read_bytes().decode("cp949").replace("2026-01-02,0.4,", "2026-01-02,0.6,")
    text += "156,광주,2026-01-05,3.3,0.1,0600,8.0,1400,,2.0,60\r\n"
    fixed = tmp_path / "asos-fixed.csv"
    fixed.write_bytes(text.encode("cp949"))
    revised = _import(db_url, fixed)
    assert "stored: 1 new, 1 revised, 3 unchanged" in revised.output, revised.output
    engine = make_engine(db_url)
    with engine.connect() as conn:
        means = daily_means(conn, 156, dt.date(2026, 1, 1), dt.date(2026, 1, 6))
    engine.dispose()
    assert means == {
        dt.date(2026, 1, 1): -1.2,
        dt.date(2026, 1, 2): 0.6,
        dt.date(2026, 1, 4): 2.5,
        dt.date(2026, 1, 5): 3.3,
    }


def test_refused_rows_are_listed_and_the_exit_code_says_so(db_url: str) -> None:
    upgrade(db_url)
    done = _import(db_url, CASES / "bad_rows" / "input.csv")
    assert done.exit_code == 2, done.output
    assert "stored: 2 new, 0 revised, 0 unchanged" in done.output
    assert "refused 6 rows:" in done.output
    assert "input.csv:3: 일시: expected a date YYYY-MM-DD, got '2026-02-30'" in done.output
    assert [r[1] for r in _rows(db_url)] == [dt.date(2026, 2, 1), dt.date(2026, 2, 6)]


def test_check_writes_nothing(db_url: str, tmp_path: Path) -> None:
    upgrade(db_url)
    done = _import(db_url, CASES / "utf8_bom_reordered" / "input.csv", "--check")
    assert done.exit_code == 0, done.output
    assert "would store: 2 new, 0 revised, 0 unchanged (--check: nothing written)" in done.output
    assert _rows(db_url) == []


def test_a_file_refused_whole_stores_nothing(db_url: str, tmp_path: Path) -> None:
    upgrade(db_url)
    file = tmp_path / "weather.csv"
    shutil.copy(CASES / "missing_column" / "input.csv", file)
    done = _import(db_url, file)
    assert done.exit_code == 2
    assert "refused, nothing stored" in done.output and "no column 평균기온(°C)" in done.output
    assert _rows(db_url) == []


def test_an_unmigrated_database_is_named(db_url: str) -> None:
    done = _import(db_url, CASES / "cp949_gwangju" / "input.csv")
    assert done.exit_code == 1
    newest = head()
    assert f"at revision none, not {newest}: run python -m telemetry.db upgrade" in done.output
    upgrade(db_url, "0008")
    refused = _import(db_url, CASES / "bad_rows" / "input.csv").output
    assert f"at revision 0008, not {newest}" in refused


def test_another_station_by_flag(db_url: str) -> None:
    upgrade(db_url)
    done = _import(db_url, CASES / "bad_rows" / "input.csv", "--station", "165")
    assert "station 165): 1 days read" in done.output
    assert [r[:3] for r in _rows(db_url)] == [(165, dt.date(2026, 2, 3), 6.0)]


def test_the_api_config_sets_station_and_bases_and_names_a_mistake(tmp_path: Path) -> None:
    path = tmp_path / "api.yaml"
    head = f"version: {API_CONFIG_VERSION}\nweather:\n  station: 165\n  degree_days:\n"
    path.write_text(head + "    heating_c: 16.5\n", encoding="utf-8")
    weather = load_model(path, ApiConfig, version=API_CONFIG_VERSION).weather
    assert (weather.station, weather.degree_days.heating_c) == (165, 16.5)
    assert weather.degree_days.cooling_c == 24.0
    path.write_text(head + "    heating_c: 26\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"heating_c 26\.0 is above cooling_c 24\.0"):
        load_model(path, ApiConfig, version=API_CONFIG_VERSION)
    path.write_text(head + "    heating: 16\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"api\.yaml:5: weather\.degree_days\.heating"):
        load_model(path, ApiConfig, version=API_CONFIG_VERSION)
