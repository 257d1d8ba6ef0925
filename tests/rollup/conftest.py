"""A test city written into fresh raw/public databases and rolled up once by the real process."""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from devstack import InfluxServer, flags
from telemetry.influxql import InfluxQL
from tests.rollup import city
from tests.support.processes import run_module

HOUR = city.HOUR


@dataclass
class RolledCity:
    url: str
    raw: str
    public: str
    sites: Path
    start_ms: int  # first reading
    end_ms: int  # after the last reading
    ql: InfluxQL

    def rollup(self, *extra: str) -> subprocess.CompletedProcess[str]:
        return run_rollup(self.url, self.raw, self.public, self.sites, *extra)


def run_rollup(
    url: str, raw: str, public: str, sites: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    argv = flags(config=sites, influx_url=url, influx_bucket=raw, influx_public_bucket=public)
    argv += [*flags(lookback=5 * 3600, live_lookback=5 * 3600), *extra]
    done = run_module("collector", "rollup", "--once", *argv, timeout=120)
    assert done.returncode == 0, done.stderr
    return done


def fresh_db(influx: InfluxServer, prefix: str) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    influx.create_database(name)
    return name


def write_city(
    influx: InfluxServer,
    directory: Path,
    hours_before: int = 3,
    before_write: Callable[[str], None] | None = None,
) -> RolledCity:
    """`before_write(raw)`: set up the raw database before the readings go in."""
    now = int(time.time() * 1000)
    start = now - now % HOUR - hours_before * HOUR
    minutes = (now - start) // city.MINUTE  # the last reading lies before now
    raw, public = fresh_db(influx, "raw"), fresh_db(influx, "pub")
    if before_write is not None:
        before_write(raw)
    city.write_on_time(influx.url, raw, city.readings(start, int(minutes)))
    return RolledCity(
        influx.url,
        raw,
        public,
        city.write_sites(directory),
        start,
        start + int(minutes) * city.MINUTE,
        InfluxQL(influx.url),
    )


@pytest.fixture(scope="session")
def rollup_influx(influx: InfluxServer) -> InfluxServer:
    """The session InfluxDB of tests/conftest.py."""
    return influx


@pytest.fixture(scope="module")
def rolled(
    rollup_influx: InfluxServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RolledCity]:
    c = write_city(rollup_influx, tmp_path_factory.mktemp("city"))
    c.rollup()
    yield c
    c.ql.close()
