"""Rollup workers by partition, and the merge: the figures one rollup process publishes.

The test city (city.py) spreads over four districts, with a district below k whose
protection needs a school district withheld (complementary suppression across
districts): decided per part, "the city minus the other districts" would give it
away. The same readings go into two databases; one is rolled up by one process, the
other by a worker per partition and then the merge, each a real process. Public and
private group points must be equal after the public rounding rule.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from devstack import InfluxServer, flags
from telemetry.db import leases
from telemetry.db.engine import make_engine
from telemetry.db.migrate import upgrade
from telemetry.influx_schema import (
    GROUP_TAGS,
    PARTITION_CELLS,
    PARTITION_LIVE_CELLS,
    ROLLUP_RP,
    rollup_from,
)
from telemetry.influxql import InfluxQL, quote_ident
from telemetry.rounding import AMOUNT, round_figure
from tests.rollup import city, mixed_city
from tests.rollup.conftest import fresh_db
from tests.support.processes import python_m, run_module, start_logged

pytestmark = pytest.mark.timeout(300)

PARTS = {"west": ["29110", "29200", "29140"], "east": ["29170", "29155"]}
MEASUREMENTS = ("live_1m", "consumption_1h", "consumption_1d", "consumption_1mo")
# What a decision's time or a worker's bookkeeping adds; everything else must be equal.
ENV = {"ENERGY_PARTITIONS": json.dumps(PARTS)}
FIVE = {"ENERGY_ROLLUP_WORKERS": "5"}  # the default split for five workers: a district each
WHEN = {"decided_ms", "revised_ms", "revision_withheld_ms"}


class Twin:
    """One city's readings in a raw database with its own public database."""

    def __init__(self, influx: InfluxServer, sites: Path, write: Callable[[str], None]) -> None:
        self.url, self.sites = influx.url, sites
        self.raw, self.public = fresh_db(influx, "raw"), fresh_db(influx, "pub")
        write(self.raw)

    def argv(self, *extra: str) -> list[str]:
        argv = flags(
            config=self.sites,
            influx_url=self.url,
            influx_bucket=self.raw,
            influx_public_bucket=self.public,
        )
        return [*argv, *flags(lookback=5 * 3600, live_lookback=5 * 3600), *extra]

    def run(self, *extra: str, env: dict[str, str] = ENV) -> str:
        done = run_module("collector", "rollup", "--once", *self.argv(*extra), env=env, timeout=180)
        assert done.returncode == 0, done.stderr
        return done.stdout


@pytest.fixture()
def twins(rollup_influx: InfluxServer, tmp_path: Path) -> tuple[Twin, Twin]:
    now = int(time.time() * 1000)
    start = now - now % city.HOUR - 2 * city.HOUR
    minutes = int((now - start) // city.MINUTE)
    sites = city.write_sites(tmp_path)

    def write(raw: str) -> None:
        city.write_on_time(rollup_influx.url, raw, city.readings(start, minutes))

    return Twin(rollup_influx, sites, write), Twin(rollup_influx, sites, write)


def test_imported_households_count_in_their_own_dongs_partition(
    rollup_influx: InfluxServer, tmp_path: Path
) -> None:
    """Imports stored under an importer's site in one district count in households'
    dongs of three others (mixed_city.py); every district its own partition."""
    now = int(time.time() * 1000)
    start = now - now % city.HOUR - 3 * city.HOUR
    bulk = mixed_city.BULK
    counters = [
        city.point(bulk, start + i * city.MINUTE, city.counter_at(bulk, i), 50.0, "good")
        for i in range((now - start) // city.MINUTE)
    ]

    def write(raw: str) -> None:
        city.write_on_time(rollup_influx.url, raw, counters)
        mixed_city.write_imports(rollup_influx.url, raw, mixed_city.first_imports(now), now)

    sites = mixed_city.write_registry(tmp_path)
    one, split = Twin(rollup_influx, sites, write), Twin(rollup_influx, sites, write)
    one.run()
    districts = ("29110", "29140", "29155", "29170", "29200")  # 29110: no holder
    for name in districts:
        split.run("--partition", name, env=FIVE)
    assert "waiting" not in split.run("--merge", env=FIVE)
    ql = InfluxQL(one.url)
    seen: set[str] = set()
    for measurement in MEASUREMENTS[1:]:
        expected = _private(ql, one.raw, measurement)
        seen |= {dict(tags)["district"] for tags, _t in expected}
        assert _private(ql, split.raw, measurement) == expected, measurement
    assert seen >= set(districts[1:])  # every holder's district has figures
    assert _public(ql, split.public) == _public(ql, one.public)


def test_workers_and_merge_publish_what_one_process_publishes(twins: tuple[Twin, Twin]) -> None:
    one, split = twins
    one.run()
    for name in PARTS:
        split.run("--partition", name)
    ql = InfluxQL(one.url)
    assert _public(ql, split.public) == {}, "a worker published"
    assert _cells(ql, split.raw) > 0
    # Live minutes' cells are kept with the raw data, as live_1m is, not for years.
    live = ql.rows(f'SELECT count("total") FROM "{PARTITION_LIVE_CELLS}"', split.raw)
    assert live and live[0]["count"] > 0
    assert not ql.rows(
        f'SELECT count("total") FROM "{ROLLUP_RP}"."{PARTITION_LIVE_CELLS}"', split.raw
    )
    out = split.run("--merge")
    assert "waiting" not in out, out
    _assert_same(ql, one, split)


def test_the_merge_waits_for_every_partition(twins: tuple[Twin, Twin]) -> None:
    _one, split = twins
    split.run("--partition", "west")
    out = split.run("--merge")
    assert "waiting for partitions ['east']" in out, out
    ql = InfluxQL(split.url)
    assert _public(ql, split.public) == {}


def test_a_worker_killed_mid_pass_is_replaced_and_the_figures_hold(
    twins: tuple[Twin, Twin], tmp_path: Path
) -> None:
    one, split = twins
    one.run()
    split.run("--partition", "east")
    ql = InfluxQL(split.url)
    # The west worker dies in its first pass, once it has stored some of its cells.
    proc = start_logged(
        python_m("collector", "rollup", *split.argv("--partition", "west", "--interval", "600")),
        tmp_path / "west.log",
        env=ENV,
    )
    try:
        _wait(lambda: _cells(ql, split.raw, "west") > 0, proc)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    assert "waiting for partitions ['west']" in split.run("--merge")
    split.run("--partition", "west")  # its successor
    split.run("--merge")
    _assert_same(ql, one, split)


def _wait(ready: Callable[[], bool], proc: subprocess.Popen, limit_s: float = 30) -> None:  # type: ignore[type-arg]
    for _ in range(int(limit_s / 0.05)):
        if ready():
            return
        assert proc.poll() is None, "the worker ended while waited for"
        time.sleep(0.05)
    raise AssertionError(f"not ready within {limit_s} s: {ready}")


def _assert_same(ql: InfluxQL, one: Twin, split: Twin) -> None:
    expected, got = _public(ql, one.public), _public(ql, split.public)
    assert expected, "one process published nothing: the comparison would say nothing"
    assert set(got) == set(expected)
    for key, fields in expected.items():
        assert got[key] == fields, key
    for measurement in MEASUREMENTS[1:]:
        mine = _private(ql, split.raw, measurement)
        theirs = _private(ql, one.raw, measurement)
        assert mine == theirs, measurement
    withheld = [k for k, f in expected.items() if k[0] == "withheld"]
    assert withheld, "no group withheld: the test city must exercise suppression"


def _public(ql: InfluxQL, db: str) -> dict[tuple, dict]:
    out: dict[tuple, dict] = {}
    for measurement in (*MEASUREMENTS, "withheld"):
        q = f"SELECT * FROM {quote_ident(measurement)} GROUP BY *"
        for s in ql.series(q, db, epoch="ms"):
            for row in s.rows():
                key = (measurement, tuple(sorted(s.tags.items())), row.pop("time"))
                out[key] = _rounded(row)
    return out


def _private(ql: InfluxQL, db: str, measurement: str) -> dict[tuple, dict]:
    by = ", ".join(quote_ident(t) for t in GROUP_TAGS)
    q = f"SELECT * FROM {rollup_from(measurement)} GROUP BY {by}"
    return {
        (tuple(sorted(s.tags.items())), row.pop("time")): _rounded(row)
        for s in ql.series(q, db, epoch="ms")
        for row in s.rows()
    }


def _rounded(row: dict) -> dict:
    return {
        k: round_figure(v, AMOUNT) if isinstance(v, float) else v
        for k, v in row.items()
        if k not in WHEN and v is not None
    }


def _cells(ql: InfluxQL, db: str, partition: str | None = None) -> int:
    where = f"WHERE partition = '{partition}'" if partition else ""
    q = f'SELECT count("total") FROM "{ROLLUP_RP}"."{PARTITION_CELLS}" {where}'
    rows = ql.rows(q, db)
    return int(rows[0]["count"]) if rows else 0


@pytest.mark.slow
def test_workers_share_the_partitions_by_lease_and_take_over_a_dead_ones(
    twins: tuple[Twin, Twin], tmp_path: Path
) -> None:
    one, split = twins
    one.run()
    url = f"sqlite:///{tmp_path / 'platform.sqlite'}"
    upgrade(url)
    env = {**ENV, "ENERGY_DB_URL": url, "ENERGY_ROLLUP_WORKERS": "2", "ENERGY_LEASE_TTL_S": "10"}
    argv = split.argv("--worker", "--interval", "1", "-v")
    procs = [
        start_logged(python_m("collector", "rollup", *argv), tmp_path / f"w{i}.log", env=env)
        for i in range(2)
    ]
    try:
        db = make_engine(url)
        _wait(lambda: _holders(db) == 2, procs[0])  # one partition each
        victim = next(i for i, p in enumerate(procs) if _holds(db, p.pid))
        os.kill(procs[victim].pid, signal.SIGKILL)
        procs[victim].wait(timeout=10)
        survivor = procs[1 - victim]
        _wait(lambda: _holders(db) == 1 and _holds(db, survivor.pid, 2), survivor, 60)
        taken = (tmp_path / f"w{1 - victim}.log").read_text()
        assert "taken from" in taken, taken
        _wait(lambda: "waiting" not in split.run("--merge"), survivor, 60)
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                p.wait(timeout=30)
    _assert_same(InfluxQL(split.url), one, split)


def _holders(db: Engine) -> int:
    now = datetime.now(UTC)
    with db.connect() as conn:
        return len({lease.holder for lease in leases.leases(conn) if lease.expires_at > now})


def _holds(db: Engine, pid: int, n: int = 1) -> bool:
    now = datetime.now(UTC)
    with db.connect() as conn:
        mine = [
            lease
            for lease in leases.leases(conn)
            if lease.expires_at > now and f":{pid}:" in lease.holder
        ]
    return len(mine) == n


def test_a_district_in_no_partition_is_refused(twins: tuple[Twin, Twin]) -> None:
    _one, split = twins
    env = {"ENERGY_PARTITIONS": json.dumps({"west": PARTS["west"], "east": ["29155"]})}
    done = run_module("collector", "rollup", "--once", *split.argv("--merge"), env=env)
    assert done.returncode != 0
    assert "districts ['29170'] are in no partition" in done.stderr, done.stderr


def test_partitioned_anew_the_merge_reads_only_the_partitions_configured(
    twins: tuple[Twin, Twin],
) -> None:
    one, split = twins
    one.run()
    for name in PARTS:  # the old partitions' cells stay in the store
        split.run("--partition", name)
    for district in ("29110", "29140", "29155", "29170", "29200"):  # one per district
        split.run("--partition", district, env=FIVE)
    assert "waiting" not in split.run("--merge", env=FIVE)
    _assert_same(InfluxQL(one.url), one, split)
