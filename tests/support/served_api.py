"""The API as its own process (`python -m api`) over the rolled-up test city: real InfluxDB,
a real rollup run, a SQLite platform database; for tests that need a real HTTP server
(a browser on another origin, the docs' client example)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from devstack import InfluxServer, flags, free_port
from devstack.platform import local_api_config
from tests.rollup.conftest import RolledCity, write_city
from tests.support.processes import python_m, start_logged, stop
from tests.support.waiting import wait_until

SIGNING_KEY = "served-api-signing-key-0123456789"
SITE_TOKENS = {"apt": "served-apt-token"}


@dataclass
class ServedApi:
    base: str
    city: RolledCity
    log: Path

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/v1/districts", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def serving(
    influx: InfluxServer, work: Path, prepare: Callable[[Path], None] | None = None
) -> Iterator[ServedApi]:
    """The API process over a freshly rolled test city; `prepare(sites file)` may change
    the registry before the rollup (e.g. flag sites as simulated)."""
    c = write_city(influx, work)
    if prepare is not None:
        prepare(c.sites)
    c.rollup()
    port = free_port()
    argv = python_m("api") + flags(
        host="127.0.0.1",
        port=port,
        config=c.sites,
        influx_url=c.url,
        influx_bucket=c.raw,
        influx_public_bucket=c.public,
        db_url=f"sqlite:///{work / 'platform.sqlite'}",
        api_config=local_api_config(work / "api.yaml"),
    )
    env = {
        "ENERGY_API_SIGNING_KEY": SIGNING_KEY,
        "ENERGY_API_SITE_TOKENS": ",".join(f"{s}={t}" for s, t in SITE_TOKENS.items()),
    }
    log = work / "api.log"
    proc = start_logged(argv, log, env=env)
    served = ServedApi(f"http://127.0.0.1:{port}", c, log)
    try:
        wait_until(
            lambda: _ready(served.base),
            60,
            "the API process",
            interval=0.5,
            logs=served.log_tail,
            give_up=lambda: proc.poll() is not None and f"it exited {proc.returncode}",
        )
        yield served
    finally:
        stop(proc)
        c.ql.close()


@pytest.fixture(scope="module")
def served_api(
    influx: InfluxServer,  # the session's (tests/conftest.py)
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ServedApi]:
    with serving(influx, tmp_path_factory.mktemp("served-api")) as served:
        yield served
