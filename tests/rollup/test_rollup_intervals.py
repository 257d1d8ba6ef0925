"""Counters and imported intervals mixed: the real rollup process against brute force.

The city (mixed_city.py) has a bulk counter at an apartment complex, a
household there with hourly Green Button data and a bill, a standalone
household with daily data re-imported finer, bills straddling months and
hourly gas at half past, a water bill, and an import of no registered
household. Rollups per meter (1h, 1d, 1mo) and per group (consumption_1h,
_1d, _1mo) equal brute_mixed.py; an import months back arriving later is
taken by a regular pass; importing the same data again changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from devstack import InfluxServer
from telemetry.influx_schema import rollup_from
from telemetry.influxql import InfluxQL
from tests.rollup import brute, brute_mixed, city, mixed_city
from tests.rollup.conftest import fresh_db, run_rollup

pytestmark = pytest.mark.timeout(300)
MEASUREMENT = {"1h": "consumption_1h", "1d": "consumption_1d", "1mo": "consumption_1mo"}


@dataclass
class Mixed:
    url: str
    raw: str
    public: str
    sites: Path
    now_ms: int
    ql: InfluxQL

    def rollup(self) -> str:
        return run_rollup(self.url, self.raw, self.public, self.sites).stdout


@pytest.fixture(scope="module")
def mixed(rollup_influx: InfluxServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mixed]:
    now = int(time.time() * 1000)
    raw, public = fresh_db(rollup_influx, "raw"), fresh_db(rollup_influx, "pub")
    start = now - now % city.HOUR - 3 * city.HOUR
    counters = [
        city.point(
            mixed_city.BULK,
            start + i * city.MINUTE,
            city.counter_at(mixed_city.BULK, i),
            50.0,
            "good",
        )
        for i in range((now - start) // city.MINUTE)
    ]
    city.write_on_time(rollup_influx.url, raw, counters)
    mixed_city.write_imports(rollup_influx.url, raw, mixed_city.first_imports(now), now)
    m = Mixed(
        rollup_influx.url,
        raw,
        public,
        mixed_city.write_registry(tmp_path_factory.mktemp("mixed")),
        now,
        InfluxQL(rollup_influx.url),
    )
    assert "(full)" in m.rollup()
    yield m
    m.ql.close()


def _stored_meters(m: Mixed) -> dict[tuple, list]:
    out = {}
    for level in brute_mixed.LEVELS:
        rows = m.ql.rows(
            f"SELECT * FROM {rollup_from('meter_consumption_' + level)} GROUP BY utility, site, meter, source",
            m.raw,
            epoch="ms",
        )
        for r in rows:
            key = (level, r["utility"], r["site"], r["meter"], r["time"])
            assert key not in out, key  # one series per meter
            out[key] = [r["consumption"], r.get("apportioned") or 0, r.get("source") or ""]
    return out


def _assert_equals_brute_force(m: Mixed) -> None:
    counters = brute_mixed.counter_figures(m.ql, m.raw)
    intervals = brute_mixed.interval_figures(m.ql, m.raw)
    stored = _stored_meters(m)
    expected = {**{k: [*v, ""] for k, v in counters.items()}}
    for key, (value, apport) in intervals.items():
        source = "bill" if key[3].endswith("-bill") else "interval"
        expected[key] = [value, apport, source]
    for key in counters:  # a counter meter's months carry source `meter`
        if key[0] == "1mo":
            expected[key][2] = "meter"
    # A counter meter's hours and days carry no `apportioned`; compare what is there.
    assert set(stored) == set(expected)
    for key, (value, apport, source) in expected.items():
        got = stored[key]
        assert got[0] == pytest.approx(value, rel=1e-9, abs=1e-9), key
        assert (got[1], got[2]) == (apport, source), key
    groups = brute_mixed.groups(counters, intervals, mixed_city.HOLDERS)
    got_groups = {}
    for level, measurement in MEASUREMENT.items():
        fields = "consumption, meters, households" + (", apportioned" if level == "1mo" else "")
        for key, row in brute.stored(m.ql, m.raw, measurement, fields).items():
            got_groups[(level, *key)] = row
    assert set(got_groups) == set(groups)
    for key, cell in groups.items():
        row = got_groups[key]
        assert row["consumption"] == pytest.approx(cell["consumption"], rel=1e-9, abs=1e-9), key
        assert (row["meters"], row["households"]) == (cell["meters"], cell["households"]), key
        if key[0] == "1mo":
            assert row["apportioned"] == cell["apportioned"], key


def test_mixed_rollups_equal_brute_force(mixed: Mixed) -> None:
    _assert_equals_brute_force(mixed)


def test_the_city_has_what_the_test_is_about(mixed: Mixed) -> None:
    """A straddling bill apportioned, a counter winning over imports, bills losing to
    Green Button: the brute force would pass vacuously without them."""
    rows = mixed.ql.rows(
        f"SELECT consumption, apportioned FROM {rollup_from('meter_consumption_1mo')} "
        "WHERE meter = 'hh-a-electricity-bill'",
        mixed.raw,
    )
    assert len(rows) == 2 and all(r["apportioned"] == 1 for r in rows)
    assert sum(r["consumption"] for r in rows) == pytest.approx(310.5)
    counters = brute_mixed.counter_figures(mixed.ql, mixed.raw)
    intervals = brute_mixed.interval_figures(mixed.ql, mixed.raw)
    hours_both = {k[4] for k in counters if k[0] == "1h"} & {
        k[4] for k in intervals if k[0] == "1h" and k[3] == "hh-a-electricity"
    }
    assert hours_both  # the bulk counter and hh-a's Green Button in the same hours
    months_b = {k[4] for k in intervals if k[0] == "1mo" and k[3].startswith("hh-b-electricity")}
    gb_b = {k[4] for k in intervals if k[0] == "1mo" and k[3] == "hh-b-electricity"}
    assert gb_b and months_b - gb_b  # hh-b: Green Button in one month, bills in others


def test_a_late_import_is_taken_by_a_regular_pass_and_reimporting_changes_nothing(
    mixed: Mixed,
) -> None:
    late = mixed_city.late_imports(mixed.now_ms)
    mixed_city.write_imports(mixed.url, mixed.raw, late, int(time.time() * 1000))
    out = mixed.rollup()
    assert "(full)" not in out, out
    _assert_equals_brute_force(mixed)
    heat = mixed.ql.rows(
        f"SELECT * FROM {rollup_from('consumption_1mo')} WHERE utility = 'heat'", mixed.raw
    )
    assert heat and all(r["apportioned"] == 1 for r in heat)

    def snapshot() -> dict:
        return {
            (db, m): brute.stored(mixed.ql, db, m, "*")
            for db in (mixed.raw, mixed.public)
            for m in MEASUREMENT.values()
        } | {"meters": _stored_meters(mixed)}

    before = snapshot()
    again = mixed_city.first_imports(mixed.now_ms) + late
    mixed_city.write_imports(mixed.url, mixed.raw, again, int(time.time() * 1000))
    assert "(full)" not in mixed.rollup()
    assert snapshot() == before
