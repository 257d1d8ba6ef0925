"""`python -m collector init`: retention policies on a real InfluxDB 1.6.

The raw database's default policy keeps raw readings `--raw-retention-days`,
the policy `rollups` keeps the private rollups `--rollup-retention-days`; a
second run with other values changes them; a raw retention the rollups could
outrun is refused; `--migrate-rollups` copies rollups an older deployment
wrote with the raw readings into `rollups`. The policy `imported` keeps
imported history as long as the rollups; `--migrate-imported` copies interval
and cost readings stored with the raw readings into it.
"""

from __future__ import annotations

import subprocess
import uuid

from influxdb_client import InfluxDBClient
from influxdb_client.client.write_api import SYNCHRONOUS

from devstack import InfluxServer
from telemetry.influx_schema import (
    COUNTER_EVENTS,
    HANDED_RP,
    IMPORTED_RP,
    METER_CONSUMPTION_1H,
    ROLLUP_RP,
    UTILITY_COST,
    interval_measurement,
    rollup_from,
)
from telemetry.influxql import InfluxQL
from tests.rollup.city import write_lines
from tests.support.processes import run_module


def _init(url: str, raw: str, public: str, *extra: str) -> subprocess.CompletedProcess[str]:
    argv = ["--influx-url", url, "--influx-bucket", raw, "--influx-public-bucket", public, *extra]
    return run_module("collector", "init", *argv, timeout=60)


def _durations(ql: InfluxQL, db: str) -> dict[str, tuple[str, bool]]:
    rows = ql.rows(f'SHOW RETENTION POLICIES ON "{db}"', db)
    return {r["name"]: (r["duration"], r["default"]) for r in rows}


def _names() -> tuple[str, str]:
    tag = uuid.uuid4().hex[:6]
    return f"r_{tag}", f"p_{tag}"


def test_init_sets_the_raw_retention_and_creates_the_rollups_policy(
    influx_srv: InfluxServer,
) -> None:
    raw, public = _names()
    ql = InfluxQL(influx_srv.url)
    try:
        done = _init(influx_srv.url, raw, public, "--raw-retention-days", "120")
        assert done.returncode == 0, done.stderr
        assert "kept 120 days" in done.stdout and "kept forever" in done.stdout
        assert _durations(ql, raw) == {
            "autogen": ("2880h0m0s", True),
            ROLLUP_RP: ("0s", False),
            IMPORTED_RP: ("0s", False),  # imported history: as long as the rollups
            HANDED_RP: ("48h0m0s", False),  # readings handed to the rollup: two days
        }
        # Changed settings are applied by the next run (every deploy runs init).
        again = _init(influx_srv.url, raw, public, "--rollup-retention-days", "3650")
        assert again.returncode == 0, again.stderr
        assert _durations(ql, raw) == {
            "autogen": ("9600h0m0s", True),  # the default, 400 days
            ROLLUP_RP: ("87600h0m0s", False),
            IMPORTED_RP: ("87600h0m0s", False),
            HANDED_RP: ("48h0m0s", False),
        }
    finally:
        ql.close()


def test_a_raw_retention_the_rollups_could_outrun_is_refused(influx_srv: InfluxServer) -> None:
    raw, public = _names()
    done = _init(influx_srv.url, raw, public, "--raw-retention-days", "30")
    assert done.returncode == 2
    assert "raw_retention_days=30" in done.stderr and "max_age_s" in done.stderr
    shorter = _init(influx_srv.url, raw, public, "--rollup-retention-days", "300")
    assert shorter.returncode == 2
    assert "rollups must outlive the raw readings" in shorter.stderr
    dbs = {r["name"] for r in InfluxQL(influx_srv.url).rows("SHOW DATABASES", "")}
    assert raw not in dbs  # refused before anything was created


def test_migrate_copies_rollups_written_with_the_raw_readings(influx_srv: InfluxServer) -> None:
    raw, public = _names()
    influx_srv.query(f'CREATE DATABASE "{raw}"')  # as before: one policy for everything
    hour = 1_767_225_600_000  # 2026-01-01T00:00Z
    old = [
        f"{METER_CONSUMPTION_1H},site=s1,meter=m1,utility=electricity consumption={i}.5,"
        f"resets=0i {hour + i * 3_600_000}"
        for i in range(40 * 24)  # 40 days: more than one copy step
    ]
    old.append(f'{COUNTER_EVENTS},site=s1,meter=m1 kind="glitch",value=9e6 {hour}')
    write_lines(influx_srv.url, raw, old, "ms")
    ql = InfluxQL(influx_srv.url)
    try:
        done = _init(influx_srv.url, raw, public, "--migrate-rollups")
        assert done.returncode == 0, done.stderr
        assert f"migrated {40 * 24} points of {METER_CONSUMPTION_1H}" in done.stdout
        assert f"migrated 1 points of {COUNTER_EVENTS}" in done.stdout
        rows = ql.rows(
            f"SELECT consumption, resets FROM {rollup_from(METER_CONSUMPTION_1H)} "
            "GROUP BY site, meter, utility",
            raw,
            epoch="ms",
        )
        got = {(r["site"], r["meter"], r["utility"], r["time"]): r["consumption"] for r in rows}
        assert got == {
            ("s1", "m1", "electricity", hour + i * 3_600_000): i + 0.5 for i in range(960)
        }
        assert {r["resets"] for r in rows} == {0}  # integer fields stay integers
        events = ql.rows(f"SELECT kind, value FROM {rollup_from(COUNTER_EVENTS)}", raw)
        assert [(e["kind"], e["value"]) for e in events] == [("glitch", 9e6)]
    finally:
        ql.close()


def test_migrate_copies_imported_history_stored_with_the_raw_readings(
    influx_srv: InfluxServer,
) -> None:
    raw, public = _names()
    influx_srv.query(f'CREATE DATABASE "{raw}"')  # as before: imports in the default policy
    day = 1_700_006_400_000  # 2023-11-15T00:00Z: long past any raw retention
    elec = interval_measurement("electricity")
    old = [
        f"{elec},site=s1,meter=hh-1-electricity energy_kwh={i}.25,duration_s=86400 "
        f"{day + i * 86_400_000}"
        for i in range(45)  # more than one copy step
    ]
    old.append(
        f"{UTILITY_COST},site=s1,meter=hh-1-electricity cost_krw=1200,duration_s=86400 {day}"
    )
    with InfluxDBClient(url=influx_srv.url, token="", org="gwangju") as client:
        api = client.write_api(write_options=SYNCHRONOUS)
        api.write(raw, record="\n".join(old), write_precision="ms")
    ql = InfluxQL(influx_srv.url)
    try:
        done = _init(influx_srv.url, raw, public, "--migrate-imported")
        assert done.returncode == 0, done.stderr
        assert f"migrated 45 points of {elec} into the imported history's policy" in done.stdout
        assert f"migrated 1 points of {UTILITY_COST}" in done.stdout
        rows = ql.rows(f"SELECT energy_kwh FROM {rollup_from(elec)}", raw, epoch="ms")
        assert {r["time"]: r["energy_kwh"] for r in rows} == {
            day + i * 86_400_000: i + 0.25 for i in range(45)
        }
        cost = ql.rows(f"SELECT cost_krw FROM {rollup_from(UTILITY_COST)}", raw)
        assert [c["cost_krw"] for c in cost] == [1200]
    finally:
        ql.close()
