"""Storage that lasts: raw readings expire with their retention, their rollups stay.

A real InfluxDB 1.6 that checks retention every second. The test city's raw
readings are rolled up by the real rollup process; then the raw retention is
shortened to 1 h (InfluxDB's minimum, with 1 h shard groups) so that InfluxDB's
own retention service drops the raw readings, which lie 2 h and more back.
The rollups in their own policy are untouched and the API's private reader
still gives each site's hours, and a later rollup pass over the expired
window leaves them as they were.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack import InfluxServer
from stores.influx import PrivateStore
from stores.private_data import site_consumption
from stores.timewin import KST, Every, Window
from telemetry.influx_schema import (
    HANDED_RP,
    IMPORTED_RP,
    METER_CONSUMPTION_1H,
    ROLLUP_RP,
    rollup_from,
)
from telemetry.influxql import InfluxQL
from tests.rollup import city
from tests.rollup.conftest import RolledCity, write_city
from tests.support.waiting import wait_until

EXPIRY_DEADLINE_S = 60  # the retention service runs every second here


@pytest.fixture
def expiring_influx(tmp_path: Path) -> Iterator[InfluxServer]:
    server = InfluxServer(tmp_path / "influx", retention_check="1s")
    server.start()
    yield server
    server.stop()


def _raw_count(c: RolledCity) -> int:
    rows = c.ql.rows('SELECT count("energy_kwh") FROM "electricity"', c.raw)
    return int(rows[0]["count"]) if rows else 0


def _oldest_raw(c: RolledCity) -> int:
    """The time of the oldest raw reading left (ms), or far ahead when none is."""
    rows = c.ql.rows('SELECT first("energy_kwh") FROM "electricity"', c.raw, epoch="ms")
    return int(rows[0]["time"]) if rows else 2**62


def _meter_hours(c: RolledCity) -> dict[tuple[str, str, int], float]:
    rows = c.ql.rows(
        f"SELECT consumption FROM {rollup_from(METER_CONSUMPTION_1H)} GROUP BY site, meter",
        c.raw,
        epoch="ms",
    )
    return {(r["site"], r["meter"], r["time"]): r["consumption"] for r in rows}


def _policies(ql: InfluxQL, db: str) -> dict[str, str]:
    return {r["name"]: r["duration"] for r in ql.rows(f'SHOW RETENTION POLICIES ON "{db}"', db)}


def test_raw_readings_expire_and_their_rollups_stay(
    expiring_influx: InfluxServer, tmp_path: Path
) -> None:
    influx = expiring_influx
    # 1 h shard groups for the raw policy before any reading is written, so that
    # the readings' hours expire one by one once the retention is shortened.
    probe = InfluxQL(influx.url)
    c = write_city(influx, tmp_path, hours_before=4, before_write=_hourly_shards(probe))
    try:
        c.rollup()
        hours = _meter_hours(c)
        assert hours, "the rollup wrote no meter hours"
        # Nothing rolled up lands with the raw data.
        assert not c.ql.rows(f'SELECT count(*) FROM "{METER_CONSUMPTION_1H}"', c.raw)
        raw_before = _raw_count(c)
        newest_hour = (c.end_ms - 1) // city.HOUR * city.HOUR
        assert raw_before > 0

        c.ql.rows(f'ALTER RETENTION POLICY "autogen" ON "{c.raw}" DURATION 1h', c.raw)
        assert _policies(c.ql, c.raw) == {
            "autogen": "1h0m0s",
            ROLLUP_RP: "0s",
            IMPORTED_RP: "0s",
            HANDED_RP: "0s",  # devstack's test databases keep them (influx_query.py)
        }
        # InfluxDB drops the expired shards one by one: wait until what is left of the
        # raw readings lies within the last 2 h (1 h + a 1 h shard), not just until the
        # first one has gone.
        wait_until(lambda: _oldest_raw(c) >= newest_hour - 2 * city.HOUR, EXPIRY_DEADLINE_S,
                   "the raw readings older than 2 h to expire", interval=0.5)  # fmt: skip
        assert _raw_count(c) < raw_before, "InfluxDB dropped no raw readings"

        assert _meter_hours(c) == hours
        # A pass after the expiry leaves the hours whose raw readings are gone as they
        # were (it may settle the newest hour, whose readings are still there).
        c.rollup()
        gone = newest_hour - city.HOUR
        assert _before(hours, gone)
        assert _before(_meter_hours(c), gone) == _before(hours, gone)
        # The API reads what is stored now: the hours as they were, and the newest
        # hour as the second pass left it (its previous hour's readings may be gone).
        _api_reads_the_expired_hours(c, _meter_hours(c))
    finally:
        c.ql.close()
        probe.close()


def _before(hours: dict[tuple[str, str, int], float], end: int) -> dict:
    return {k: v for k, v in hours.items() if k[2] < end}


def _hourly_shards(ql: InfluxQL):  # type: ignore[no-untyped-def]
    def apply(db: str) -> None:
        ql.rows(f'ALTER RETENTION POLICY "autogen" ON "{db}" SHARD DURATION 1h', db)

    return apply


def _api_reads_the_expired_hours(c: RolledCity, hours: dict[tuple[str, str, int], float]) -> None:
    site, meter = "ind-1", "main-elec"
    mine = {t: v for (s, m, t), v in hours.items() if (s, m) == (site, meter)}
    start = dt.datetime.fromtimestamp(min(mine) / 1000, KST)
    end = dt.datetime.fromtimestamp(max(mine) / 1000, KST) + dt.timedelta(hours=1)
    store = PrivateStore(InfluxQL(c.url), c.raw)
    try:
        got = site_consumption(store, site, "electricity", Window(start, end, Every.HOUR), meter)
    finally:
        store.close()
    assert {t: v for t, (v, _resets) in got.items()} == pytest.approx(mine)
    assert min(mine) < c.end_ms - 2 * city.HOUR  # hours whose raw readings are gone
