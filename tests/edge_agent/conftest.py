"""Fixtures for the edge agent's integration tests (real simulators, Mosquitto, processes)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devstack.mosquitto import MosquittoServer
from tests.edge_agent.procs import Proc


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MosquittoServer]:
    """A broker for the tests that do not stop it (those start their own)."""
    server = MosquittoServer(tmp_path_factory.mktemp("ea-mosquitto"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def procs() -> Iterator[list[Proc]]:
    """Every process a test starts goes here and is stopped (then killed) afterwards."""
    started: list[Proc] = []
    yield started
    for proc in reversed(started):
        try:
            proc.stop(timeout=5)
        except Exception:
            proc.kill()
