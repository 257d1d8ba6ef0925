"""schemathesis over the tenancy and link routes and the household routes (bodies, the
machines' token): no generated request makes the server fail (5xx), every error is a problem."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from devstack import InfluxServer
from telemetry.db import make_engine
from telemetry.db.migrate import upgrade
from tests.route_fuzz import fuzz_routes
from tests.tenancy.world import KEY_1, Clock, World, build, write_city

pytestmark = pytest.mark.timeout(300)
PREFIXES = ("/v1/staff/tenancies", "/v1/staff/links", "/v1/household")


def test_no_server_error_for_generated_tenancy_and_link_requests(
    tmp_path: Path, clock: Clock, influx: InfluxServer, months_db: str
) -> None:
    # One engine is enough for fuzzing the routes; the suites cover both.
    url = f"sqlite:///{tmp_path / 'platform.sqlite'}"
    upgrade(url)
    engine = make_engine(url)
    sites = write_city(tmp_path)
    world = World(build(engine, sites, clock, KEY_1, influx.url, months_db), engine, clock,
                  sites, influx.url, months_db)  # fmt: skip
    world.move_in("101-1203", world.today() - dt.timedelta(days=200))
    tried = fuzz_routes(
        world.app,
        world.client(),
        {"Authorization": "Bearer tenancy-admin-token"},
        lambda path: path.startswith(PREFIXES),
    )
    engine.dispose()
    assert len(tried.paths) >= 8
    assert tried.cases >= 5 * len(tried.paths)
