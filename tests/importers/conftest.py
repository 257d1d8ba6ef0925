"""A real Mosquitto, the real collector and the session InfluxDB for the importer tests.

One broker, collector and database per module: the collector keeps a
persistent session in the share group, so it gets a broker of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from devstack import InfluxServer, MosquittoServer
from tests.collector.helpers import CollectorProc


@dataclass
class Stack:
    broker: MosquittoServer
    influx: InfluxServer
    db: str
    collector: CollectorProc
    workdir: Path


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, influx: InfluxServer) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("importers")
    broker = MosquittoServer(workdir / "mosquitto")
    broker.start()
    db = f"t_{uuid.uuid4().hex[:8]}"
    influx.create_database(db)
    collector = CollectorProc(workdir, broker.url, influx.url, db, "importers")
    try:
        collector.start()
        yield Stack(broker, influx, db, collector, workdir)
    finally:
        collector.kill()
        broker.stop()
