"""Own brokers for the collector tests.

The collectors keep persistent MQTT sessions in the share group `collectors`;
on the shared session broker, a dead session of ours would be handed part of
another test's messages. So every test here gets its own Mosquitto.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devstack import InfluxServer, MosquittoServer
from tests.collector.helpers import CollectorProc


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[MosquittoServer]:
    server = MosquittoServer(tmp_path / "mosquitto")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def own_influx(tmp_path: Path) -> Iterator[InfluxServer]:
    server = InfluxServer(tmp_path / "influx")
    server.start()
    server.create_database("energy")
    yield server
    server.stop()


@pytest.fixture
def collectors(tmp_path: Path) -> Iterator[list[CollectorProc]]:
    """Register every collector started here; all are killed at the end."""
    started: list[CollectorProc] = []
    yield started
    for c in started:
        c.kill()


@pytest.fixture(scope="session")
def influx_srv(influx: InfluxServer) -> InfluxServer:
    """The session InfluxDB of tests/conftest.py."""
    return influx


@pytest.fixture
def db(influx_db: str) -> str:
    """A fresh database per test."""
    return influx_db


@pytest.fixture
def start_collector(
    tmp_path: Path,
    broker: MosquittoServer,
    influx_srv: InfluxServer,
    db: str,
    collectors: list[CollectorProc],
) -> Callable[..., CollectorProc]:
    """`start_collector(instance, *flags)`: a started collector on this test's broker and
    database, killed at the end."""

    def start(instance: str, *extra: str) -> CollectorProc:
        col = CollectorProc(tmp_path, broker.url, influx_srv.url, db, instance, list(extra))
        collectors.append(col.start())
        return col

    return start
