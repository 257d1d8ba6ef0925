"""Alerts tests: the platform database on both engines, a real InfluxDB, the demo registry."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from alerts.events import EventLog
from alerts.observers import Store
from devstack import InfluxServer
from telemetry.influxql import InfluxQL
from telemetry.registry import Registry, load_registry
from tests.alerts.platform import broker, running  # noqa: F401  (the real platform, for e2e)
from tests.db.conftest import db_url, engine  # noqa: F401  (fixtures shared with the store suites)

# 06:00 KST (21:00 UTC): the night 02:00-05:00 KST (17:00-20:00 UTC) is complete.
NOW = datetime(2026, 1, 5, 21, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def registry() -> Registry:
    return load_registry("config/sites/demo.yaml")


@pytest.fixture
def source(influx: InfluxServer, influx_db: str, registry: Registry) -> Iterator[Store]:
    ql = InfluxQL(influx.url)
    yield Store(ql, influx_db, registry)
    ql.close()


@pytest.fixture
def events(influx: InfluxServer, influx_db: str) -> Iterator[EventLog]:
    log = EventLog(influx.url, "", "gwangju", influx_db)
    yield log
    log.close()


def write(url: str, db: str, lines: list[str], rp: str = "") -> None:
    """Points straight into InfluxDB (ms precision), as the collector would have stored them
    (`rp`: a retention policy, e.g. the rollups' ROLLUP_RP; default the database's)."""
    params = {"db": db, "rp": rp, "precision": "ms"}
    done = httpx.post(f"{url}/write", params=params, content="\n".join(lines))
    assert done.status_code == 204, done.text


def ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)
