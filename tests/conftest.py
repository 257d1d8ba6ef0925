"""Shared fixtures: real Mosquitto and InfluxDB (behind nginx), started once per session."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from devstack import InfluxServer, MosquittoServer
from devstack.postgres import PostgresServer


@pytest.fixture(scope="session")
def mosquitto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MosquittoServer]:
    server = MosquittoServer(tmp_path_factory.mktemp("mosquitto"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def influx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InfluxServer]:
    server = InfluxServer(tmp_path_factory.mktemp("influx"))
    server.start()
    server.create_database("energy")
    server.create_database("energy_public")
    yield server
    server.stop()


@pytest.fixture
def influx_db(influx: InfluxServer) -> str:
    """A fresh database per test, so tests never see each other's points."""
    name = f"t_{uuid.uuid4().hex[:8]}"
    influx.create_database(name)
    return name


# --- fixtures added by other packages below ---


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """A real PostgreSQL cluster (Debian's package) for the platform database's suites."""
    server = PostgresServer(tmp_path_factory.mktemp("postgres"))
    server.start()
    yield server
    server.cleanup()
