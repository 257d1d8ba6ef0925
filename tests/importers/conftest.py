"""A real Mosquitto, the real collector and the session InfluxDB for the importer tests.

One broker, collector and database per module: the collector keeps a
persistent session in the share group, so it gets a broker of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def running_stack(
    workdir: Path,
    influx: InfluxServer,
    instance: str,
    raw_retention: str = "INF",
    imported_retention: str = "INF",
) -> Iterator[Stack]:
    """A broker, a database keeping raw readings `raw_retention` and imported history
    `imported_retention`, and a collector between them."""
    broker = MosquittoServer(workdir / "mosquitto")
    broker.start()
    db = f"t_{uuid.uuid4().hex[:8]}"
    influx.create_database(db, raw_retention, imported_retention)
    collector = CollectorProc(workdir, broker.url, influx.url, db, instance)
    try:
        collector.start()
        yield Stack(broker, influx, db, collector, workdir)
    finally:
        collector.kill()
        broker.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, influx: InfluxServer) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("importers"), influx, "importers") as s:
        yield s
