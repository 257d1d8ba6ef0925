"""Savings on observed weather: an ASOS file imported with the real command, read by the real
HTTP app (`/v1/household/months` and the page), on SQLite and PostgreSQL.

kim-0001's use follows known models on the climate normal (household_city.py). The file
observes every day of its baseline and reporting months: the baseline's days at the normal
(so the fitted model is the known one), the reporting months' days 4 °C further from the
comfort band than the normal (colder below 21 °C, hotter above), at the portal's one decimal,
so that more use was to be expected whatever the season. The expected savings are then worked
out here from the file's numbers alone.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from devstack import InfluxServer
from importers.cli import app as importers
from telemetry.climate import normal_daily_mean_c
from telemetry.influxql import InfluxQL
from tests.households.household_city import (
    KEY,
    SAVED,
    HouseholdCity,
    city_app,
    month_start,
    seed,
)
from tests.support.links import household_link

EXTREME_C = 4.0  # reporting days this much colder (below MIDDLE_C) or hotter
MIDDLE_C = 21.0
HEADER = "지점,지점명,일시,평균기온(°C),최저기온(°C),최고기온(°C),일강수량(mm)\r\n"
# The known models of household_city.kim_use: per day, per heating and per cooling degree-day.
MODELS = {"electricity": (6.0, 1.0, 4.0), "gas": (1.0, 0.5, 0.0)}


@pytest.fixture(scope="module")
def seeded(
    influx: InfluxServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[HouseholdCity, str, InfluxQL]]:
    c, raw = seed(influx, tmp_path_factory.mktemp("weather-city"))
    ql = InfluxQL(influx.url)
    yield c, raw, ql
    ql.close()


@pytest.fixture
def city(
    seeded: tuple[HouseholdCity, str, InfluxQL], db_url: str
) -> Iterator[tuple[TestClient, HouseholdCity, str]]:
    c, raw, ql = seeded
    with TestClient(city_app(ql, raw, c, db_url)) as client:
        yield client, c, db_url


def _days(first: dt.date, last_month: dt.date) -> list[dt.date]:
    end = last_month.replace(day=calendar.monthrange(last_month.year, last_month.month)[1])
    return [first + dt.timedelta(days=i) for i in range((end - first).days + 1)]


def _asos_file(path: Path, c: HouseholdCity, first: int = -18) -> dict[dt.date, float]:
    """A CP949 ASOS export of station 156 from kim's month `first` (from today's) to its last
    reporting month; returns the daily means as written."""
    reporting_from = month_start(c.today, -5)
    means: dict[dt.date, float] = {}
    lines = [HEADER]
    for day in _days(month_start(c.today, first), month_start(c.today, -1)):
        normal = normal_daily_mean_c(day)
        shift = EXTREME_C if normal >= MIDDLE_C else -EXTREME_C
        text = f"{normal + shift:.1f}" if day >= reporting_from else f"{normal:.4f}"
        means[day] = float(text)
        lines.append(f"156,광주,{day},{text},{means[day] - 5:.1f},{means[day] + 5:.1f},\r\n")
    path.write_bytes("".join(lines).encode("cp949"))
    return means


def _expected_savings(
    utility: str, c: HouseholdCity, means: dict[dt.date, float]
) -> tuple[float, float]:
    """(the known model at the file's reporting temperatures − kim's actual use, the actual)."""
    per_day, per_hdd, per_cdd = MODELS[utility]
    expected = actual = 0.0
    for n in range(-5, 0):
        month = month_start(c.today, n)
        days = [d for d in means if d.replace(day=1) == month]
        hdd = sum(max(0.0, 18.0 - means[d]) for d in days)
        cdd = sum(max(0.0, means[d] - 24.0) for d in days)
        expected += per_day * len(days) + per_hdd * hdd + per_cdd * cdd
        actual += c.expected[(utility, month)][0]
    return expected - actual, actual


def _import(db_url: str, file: Path) -> str:
    done = CliRunner().invoke(importers, ["weather-asos", str(file), "--db-url", db_url])
    assert done.exit_code == 0, done.output
    return done.output


def _month_days(c: HouseholdCity, months: range) -> int:
    return sum(
        calendar.monthrange(m.year, m.month)[1] for m in (month_start(c.today, n) for n in months)
    )


def _savings(client: TestClient) -> dict[str, dict]:  # type: ignore[type-arg]
    r = client.get("/v1/household/months", params={"token": household_link("kim-0001", KEY)})
    assert r.status_code == 200, r.text
    return {u["utility"]: u["savings"] for u in r.json()["utilities"]}


def _page(client: TestClient, lang: str) -> str:
    params = {"token": household_link("kim-0001", KEY), "lang": lang}
    r = client.get("/household", params=params)
    assert r.status_code == 200, r.text
    return r.text


def test_savings_use_observed_degree_days_from_an_imported_asos_file(
    city: tuple[TestClient, HouseholdCity, str], tmp_path: Path
) -> None:
    client, c, db_url = city
    means = _asos_file(tmp_path / "asos.csv", c)
    assert f"stored: {len(means)} new" in _import(db_url, tmp_path / "asos.csv")
    observed_days = _month_days(c, range(-18, -6)) + _month_days(c, range(-5, 0))
    savings = _savings(client)
    for utility in MODELS:
        s = savings[utility]
        assert s["weather_source"] == {
            "kind": "observed",
            "observed_days": observed_days,
            "days": observed_days,
            "station": 156,
        }, utility
        expected, actual = _expected_savings(utility, c, means)
        # JSON amounts are rounded to 2 decimals, the degree-days per month to 3.
        assert s["actual"] == pytest.approx(actual, abs=0.01), utility
        assert s["savings"] == pytest.approx(expected, abs=0.02), utility
        # Harsher reporting months: more use was expected, so more was saved than the
        # share the city's use was built with (which the normal finds: the next test).
        assert s["savings_pct"] > SAVED[utility] * 100 + 1, utility
    assert savings["water"]["weather_source"] is None  # no weather term
    en, ko = _page(client, "en"), _page(client, "ko")
    said = f"observed at KMA weather station 156 (ASOS) on all {observed_days} days"
    assert 'id="hh-electricity-weather" data-weather="observed"' in en and said in en
    assert f"{observed_days}일 모두 기상청 156 지점(ASOS)에서 관측한 일평균기온" in ko
    assert 'id="hh-water-weather"' not in en


def test_without_observations_savings_fall_back_to_the_normal_and_say_so(
    city: tuple[TestClient, HouseholdCity, str],
) -> None:
    client = city[0]
    savings = _savings(client)
    for utility in MODELS:
        s = savings[utility]
        assert s["weather_source"]["kind"] == "normal", utility
        assert s["weather_source"]["observed_days"] == 0
        assert s["weather_source"]["station"] is None
        assert s["savings_pct"] == pytest.approx(SAVED[utility] * 100, abs=0.05), utility
    en = _page(client, "en")
    assert 'data-weather="normal"' in en
    assert "climate normal: no observed temperatures are stored for these months" in en
    assert "광주의 평년 기온으로 계산했습니다" in _page(client, "ko")


def test_observations_of_some_days_only_are_used_for_those_and_said(
    city: tuple[TestClient, HouseholdCity, str], tmp_path: Path
) -> None:
    client, c, db_url = city
    means = _asos_file(tmp_path / "asos.csv", c, first=-5)  # the reporting months only
    _import(db_url, tmp_path / "asos.csv")
    days = _month_days(c, range(-18, -6)) + _month_days(c, range(-5, 0))
    observed = _month_days(c, range(-5, 0))
    s = _savings(client)["electricity"]
    assert s["weather_source"] == {
        "kind": "mixed",
        "observed_days": observed,
        "days": days,
        "station": 156,
    }
    # The baseline on the normal is the known model, so the same expectation holds.
    assert s["savings"] == pytest.approx(_expected_savings("electricity", c, means)[0], abs=0.02)
    said = f"{observed} of {days} days from the temperatures observed at KMA weather station 156"
    assert 'data-weather="mixed"' in _page(client, "en") and said in _page(client, "en")
    assert f"{days}일 중 {observed}일을 기상청 156 지점(ASOS)의 관측 일평균기온으로" in _page(
        client, "ko"
    )
