"""The API over a rolled-up test city: real InfluxDB, real rollup process, the app in-process."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from influxdb_client import Point

from api.app import Parts, create_app
from api.auth import Secrets
from api.settings import ApiConfig
from civic.board.config import BoardConfig
from civic.board.context import Board
from civic.surveys.config import SurveysConfig
from civic.surveys.service import build_surveys, registry_stratum
from devstack import InfluxServer
from stores.influx import PrivateStore, PublicStore
from stores.reference import Reference
from telemetry.db import make_engine
from telemetry.db.migrate import upgrade
from telemetry.emissions import load_emission_factors
from telemetry.influx_schema import rollup_bucket
from telemetry.influxql import InfluxQL
from telemetry.registry import Registry, load_geography, load_registry
from telemetry.registry.household_registry import HouseholdRegistry
from telemetry.registry.households import Household
from tests.rollup import city
from tests.rollup.conftest import RolledCity, rollup_influx, write_city  # noqa: F401 (fixture)
from tests.support.links import household_link

ADMIN = "admin-secret-token"
SITE_TOKENS = {"ind-1": "ind-1-secret", "apt": "apt-secret"}
SIGNING_KEY = "household-signing-key"
ORIGIN = "https://energy.gwangju.go.kr"


class RecordingQL(InfluxQL):
    """An InfluxQL client that records which database every query went to."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.databases: list[str] = []

    def query(self, q: str, db: str, epoch: str | None = None):  # type: ignore[no-untyped-def]
        self.databases.append(db)
        return super().query(q, db, epoch)


@dataclass
class ApiCity:
    city: RolledCity
    app: FastAPI
    client: TestClient
    public_ql: RecordingQL
    private_ql: RecordingQL
    history: dict[str, Any] = field(default_factory=dict)

    def household_token(self, site: str) -> str:
        """The link of the household living at its own site `site` (its id is the site's)."""
        return household_link(site, SIGNING_KEY)


def build_app(
    c: RolledCity,
    public_ql: InfluxQL,
    private_ql: InfluxQL,
    config: ApiConfig | None = None,
    households: HouseholdRegistry | None = None,
    civic: bool = False,
) -> FastAPI:
    """The app over the rolled city; with `civic`, the board and the surveys too."""
    config = config or ApiConfig(cors_origins=[ORIGIN], stream_interval_s=0.2)
    registry = load_registry(c.sites)
    registry.households = households or _own_site_households(registry)
    # Household links are checked against the platform database (link versions).
    url = f"sqlite:///{c.sites.parent / 'platform.sqlite'}"
    upgrade(url)
    db = make_engine(url)
    return create_app(
        Parts(
            public_store=PublicStore(public_ql, c.public),
            private_store=PrivateStore(private_ql, c.raw),
            reference=Reference(load_geography(), registry, config.privacy_k),
            config=config,
            secrets=Secrets(ADMIN, dict(SITE_TOKENS), SIGNING_KEY),
            factors=load_emission_factors(),
            db=db,
            board=Board(db, BoardConfig(secure_cookies=False)) if civic else None,
            surveys=build_surveys(
                db,
                SurveysConfig(),
                registry_stratum(registry),
                config.privacy_k,
                seal_key=SIGNING_KEY.encode(),
            )
            if civic
            else None,
        )
    )


def _own_site_households(registry: Registry) -> HouseholdRegistry:
    """One household at each site of kind `household`, named as its site."""
    homes = {
        s.id: Household(id=s.id, site=s.id, building_type=s.building_type, size_band="60-85")
        for s in registry.sites.values()
        if s.kind == "household"
    }
    return HouseholdRegistry({}, homes, registry.sites)


def _operations_data(c: RolledCity) -> dict[str, Any]:
    """Agent status and rejected messages as the collector writes them; household history."""
    now = int(time.time() * 1000)
    points = [
        Point("agent_status")
        .tag("site", "ind-1")
        .tag("agent", "ind-1-gw")
        .field("state", "online")
        .field("online", 1.0)
        .field("meters", 2.0)
        .field("meters_failing", 0.0)
        .field("failing", "")
        .field("outbox_depth", 0.0)
        .time(now - 5_000, write_precision="ms"),
    ]
    rejected = {"schema": 3, "unknown_site": 2}
    n = 0
    for reason, count in rejected.items():
        for _ in range(count):
            n += 1
            points.append(
                Point("rejected")
                .tag("reason", reason)
                .field("topic", "energy/v1/x/y/readings")
                .field("detail", "test")
                .field("payload", "{}")
                .field("size", 2)
                .field("count", 1)
                .time(now - 60_000 - n, write_precision="ms")
            )
    # hh-3: daily meter consumption this week and the same days a year before.
    day = 86_400_000
    today = now - (now + 9 * 3_600_000) % day
    days_now = [today - i * day for i in range(8, 1, -1)]  # clear of the rollup window
    days_before = [t - 365 * day for t in days_now]
    days_joining = [t - 7 * day for t in days_now]  # the week before it joined a programme
    readings = [(t, 5.0) for t in days_now] + [(t, 8.0) for t in days_before]
    rollups = []  # the rollup process keeps these in the rollups' policy
    for t, used in readings + [(t, 6.0) for t in days_joining]:
        rollups.append(
            Point("meter_consumption_1d")
            .tag("site", "hh-3")
            .tag("meter", "elec")
            .tag("utility", "electricity")
            .tag("district", city.SUPPRESSED_DISTRICT)
            .tag("dong", city.SUPPRESSED_DONG)
            .tag("building_type", "detached_house")
            .field("consumption", used)
            .field("resets", 0)
            .time(t, write_precision="ms")
        )
    city.write_points(c.url, c.raw, points)
    city.write_points(c.url, rollup_bucket(c.raw), rollups)
    return {"rejected": rejected, "days_now": days_now, "days_before": days_before}


@pytest.fixture(scope="module")
def api_city(
    rollup_influx: InfluxServer,  # noqa: F811 (the fixture imported above)
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ApiCity]:
    c = write_city(rollup_influx, tmp_path_factory.mktemp("apicity"))
    history = _operations_data(c)
    c.rollup()
    public_ql, private_ql = RecordingQL(c.url), RecordingQL(c.url)
    app = build_app(c, public_ql, private_ql)
    with TestClient(app) as client:
        yield ApiCity(c, app, client, public_ql, private_ql, history)
    public_ql.close()
    private_ql.close()
    c.ql.close()


def tmp_sites(directory: Path) -> Path:
    return city.write_sites(directory)
