"""`python -m collector init`: retention policies on a real InfluxDB 1.6.

The raw database's default policy keeps raw readings `--raw-retention-days`,
the policy `rollups` keeps the private rollups `--rollup-retention-days`; a
second run with other values changes them; a raw retention the rollups could
outrun is refused; `--migrate-rollups` copies rollups an older deployment
wrote with the raw readings into `rollups`.
"""

from __future__ import annotations

import subprocess
import uuid

from devstack import InfluxServer
from telemetry.influx_schema import (
    COUNTER_EVENTS,
    METER_CONSUMPTION_1H,
    ROLLUP_RP,
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
        assert _durations(ql, raw) == {"autogen": ("2880h0m0s", True), ROLLUP_RP: ("0s", False)}
        # Changed settings are applied by the next run (every deploy runs init).
        again = _init(influx_srv.url, raw, public, "--rollup-retention-days", "3650")
        assert again.returncode == 0, again.stderr
        assert _durations(ql, raw) == {
            "autogen": ("9600h0m0s", True),  # the default, 400 days
            ROLLUP_RP: ("87600h0m0s", False),
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
