"""The real app over a rolled-up test city (real InfluxDB, the real rollup process), with its
platform database (staff accounts and sessions) on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine

from api.app import Parts, create_app
from api.auth import Secrets
from api.settings import ApiConfig
from civic.board.config import BoardConfig
from stores.influx import PrivateStore, PublicStore
from stores.reference import Reference
from telemetry.emissions import load_emission_factors
from telemetry.influxql import InfluxQL
from telemetry.registry import load_geography, load_registry
from tests.db.conftest import db_url, engine  # noqa: F401 (fixtures)
from tests.rollup.conftest import RolledCity, rolled, rollup_influx  # noqa: F401 (fixtures)
from tests.staff.people import fast_staff

ADMIN = "facility-admin-token"
SIGNING_KEY = "facility-signing-key-0123456789"


def facility_app(c: RolledCity, db: Engine, stream_interval_s: float = 0.2) -> FastAPI:
    return staff_app(c.url, c.raw, c.public, c.sites, db, stream_interval_s)


def staff_app(
    url: str, raw: str, public: str, sites: Path, db: Engine, stream_interval_s: float = 0.2
) -> FastAPI:
    """The real app over these InfluxDB databases and sites file, staff signing in cheaply."""
    config = ApiConfig(stream_interval_s=stream_interval_s, board=BoardConfig(secure_cookies=False))
    registry = load_registry(sites)
    ql = InfluxQL(url)
    app = create_app(
        Parts(
            public_store=PublicStore(ql, public),
            private_store=PrivateStore(ql, raw),
            reference=Reference(load_geography(), registry, config.privacy_k),
            config=config,
            secrets=Secrets(ADMIN, {}, SIGNING_KEY),
            factors=load_emission_factors(),
            db=db,
        )
    )
    fast_staff(app)
    return app


@pytest.fixture
def app(rolled: RolledCity, engine: Engine) -> Iterator[FastAPI]:  # noqa: F811 (fixtures)
    yield facility_app(rolled, engine)
