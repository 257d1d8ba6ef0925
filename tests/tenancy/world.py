"""A complex of units with tenancies, over the real app (create_app) on one platform database.

Site `apt` (apartment complex, 동 101-102, 12 floors of 4 units) lists its units
in units/apt.yaml; programme household `apt-101-1203` lives at unit 101-1203
and has monthly electricity (a Green Button import) for the last 30 months in a
real InfluxDB (`months_db`), one figure per month that says which month it is,
so a test sees exactly which months a link shows.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from influxdb_client import Point
from sqlalchemy import Engine

from api.app import Parts, create_app
from api.auth import Secrets
from api.ratelimit import TokenBuckets
from api.settings import ApiConfig
from civic.board.config import BoardConfig
from civic.board.context import Board
from civic.surveys.config import SurveysConfig
from civic.surveys.service import build_surveys, registry_stratum
from devstack import InfluxServer
from stores.influx import PrivateStore, PublicStore
from stores.reference import Reference
from stores.timewin import KST
from telemetry.emissions import load_emission_factors
from telemetry.influx_schema import (
    FIELD_APPORTIONED,
    METER_CONSUMPTION_1MO,
    TAG_SOURCE,
    rollup_bucket,
)
from telemetry.influxql import InfluxQL
from telemetry.registry import load_geography, load_registry
from telemetry.registry.units import UnitKind, apartment_units, units_yaml
from tests.rollup.city import write_points
from tests.staff.people import StaffBrowser, staff_member

DONG, DISTRICT = "2914083000", "29140"
SITE = "apt"
HOUSEHOLD = "apt-101-1203"
HOUSE = "house-7"  # a programme household at no unit (standalone), moved in HOUSE_DAYS ago
GONE = "house-8"  # one that moved out ten days ago
HOUSE_DAYS = 100
KEY_1 = "k1:first-signing-key-0123456789"
KEY_2 = "k2:second-signing-key-0123456789"
SEAL = b"survey-seal-key-0123456789abcdef"
BOARD = BoardConfig(support_threshold=5, answer_days=30, auto_hide_reports=3,
                    secure_cookies=False)  # fmt: skip
SITES = f"""\
programmes: programmes.yaml
households: households.yaml
units: units
sites:
  - {{id: {SITE}, name_ko: 풍암 아파트, name_en: Pungam apartments, kind: apartment_complex,
     district: "{DISTRICT}", dong: "{DONG}", building_type: apartment, households: 96}}
  - {{id: importer-gb, name_ko: 그린버튼, name_en: Green Button importer, kind: public_building,
     district: "{DISTRICT}", dong: "{DONG}", building_type: public}}
"""
PROGRAMMES = """\
programmes:
  - {id: green-remodel, name_ko: 그린 리모델링, name_en: Green remodelling, kind: retrofit,
     start: 2020-01-01}
"""
HOUSEHOLDS = f"""\
households:
  - {{id: {HOUSEHOLD}, site: {SITE}, unit: "101-1203", building_type: apartment,
     size_band: 40-60, meters: [importer-gb/{HOUSEHOLD}-electricity]}}
  - {{id: {HOUSE}, dong: "{DONG}", building_type: detached_house, size_band: 60-85,
     moved_in: HOUSE_IN}}
  - {{id: {GONE}, dong: "{DONG}", building_type: detached_house, size_band: 60-85,
     moved_in: 2020-01-01, moved_out: GONE_OUT}}
"""
MONTHS = 30


def month_start(day: dt.date, n: int) -> dt.date:
    months = day.year * 12 + day.month - 1 + n
    return dt.date(months // 12, months % 12 + 1, 1)


def figure(month: dt.date) -> float:
    """The month's use, which names the month (2025-03 -> 202503.0)."""
    return float(month.year * 100 + month.month)


def write_city(directory: Path) -> Path:
    (directory / "units").mkdir(exist_ok=True)
    units = apartment_units({101: (12, 4), 102: (12, 4)})
    (directory / "units" / f"{SITE}.yaml").write_text(
        units_yaml(SITE, UnitKind.APARTMENT, units, "tests/tenancy/world.py"), encoding="utf-8"
    )
    (directory / "programmes.yaml").write_text(PROGRAMMES, encoding="utf-8")
    today = dt.datetime.now(KST).date()
    homes = HOUSEHOLDS.replace("HOUSE_IN", str(today - dt.timedelta(days=HOUSE_DAYS))).replace(
        "GONE_OUT", str(today - dt.timedelta(days=10))
    )
    (directory / "households.yaml").write_text(homes, encoding="utf-8")
    (directory / "sites.yaml").write_text(SITES, encoding="utf-8")
    return directory / "sites.yaml"


@pytest.fixture(scope="session")
def months_db(influx: InfluxServer) -> str:
    """A raw database whose monthly rollup holds apt-101-1203's last MONTHS months."""
    raw = f"raw_{uuid.uuid4().hex[:8]}"
    influx.create_database(raw)
    today = dt.datetime.now(KST).date()
    points = []
    for n in range(-MONTHS + 1, 1):
        m = month_start(today, n)
        start = dt.datetime.combine(m, dt.time(), KST)
        points.append(
            Point(METER_CONSUMPTION_1MO)
            .tag("site", "importer-gb").tag("meter", f"{HOUSEHOLD}-electricity")
            .tag("utility", "electricity").tag("district", DISTRICT).tag("dong", DONG)
            .tag("building_type", "apartment").tag(TAG_SOURCE, "interval")
            .field("consumption", figure(m)).field(FIELD_APPORTIONED, 0)
            .time(int(start.timestamp() * 1000), write_precision="ms")
        )  # fmt: skip
    write_points(influx.url, rollup_bucket(raw), points)
    return raw


@dataclass
class Clock:
    now: dt.datetime

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, delta: dt.timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.datetime.now(dt.UTC).replace(microsecond=0))


@dataclass
class World:
    app: FastAPI
    engine: Engine
    clock: Clock
    sites: Path
    influx_url: str
    raw: str

    def today(self) -> dt.date:
        return self.clock().astimezone(KST).date()

    def client(self) -> TestClient:
        return TestClient(self.app, follow_redirects=False)

    def operator(self) -> StaffBrowser:
        return staff_member(self.app, "lee", "operator")

    def issuer(self) -> StaffBrowser:
        return staff_member(self.app, "cho", "code_issuer")

    def move_in(self, unit: str, day: dt.date) -> dict[str, Any]:
        r = self.operator().post("/v1/staff/tenancies/move-in",
                                 {"site": SITE, "unit": unit, "date": day.isoformat()})  # fmt: skip
        assert r.status_code == 201, r.text
        return r.json()

    def move_out(self, unit: str, day: dt.date) -> dict[str, Any]:
        r = self.operator().post("/v1/staff/tenancies/move-out",
                                 {"site": SITE, "unit": unit, "date": day.isoformat()})  # fmt: skip
        assert r.status_code == 200, r.text
        return r.json()

    def codes(self, units: list[str]) -> list[str]:
        r = self.issuer().post("/v1/board/codes", {"site": SITE, "households": units})
        assert r.status_code == 201, r.text
        return [c["code"] for c in r.json()["codes"]]

    def link(self, unit: str) -> str:
        r = self.operator().post("/v1/staff/links/sign", {"site": SITE, "unit": unit})
        assert r.status_code == 200, r.text
        return r.json()["token"]

    def resident(self, code: str) -> tuple[TestClient, str]:
        """A browser signed in with the code; its CSRF token."""
        browser = self.client()
        r = browser.post("/v1/board/redeem", json={"code": code})
        assert r.status_code == 200, r.text
        return browser, r.json()["csrf_token"]

    def rebuilt(self, keys: str, seal: bytes | None = SEAL) -> World:
        """The same database and clock behind an app started with other signing keys (a
        key rotation: the API restarted with a new ENERGY_API_SIGNING_KEYS); `seal`:
        ENERGY_SURVEY_SEAL_KEY (None: unset, the survey keys come from the signing keys)."""
        app = build(self.engine, self.sites, self.clock, keys, self.influx_url, self.raw, seal)
        return World(app, self.engine, self.clock, self.sites, self.influx_url, self.raw)


def build(
    db: Engine, sites: Path, clock: Clock, keys: str, influx_url: str, raw: str,
    seal: bytes | None = SEAL,
) -> FastAPI:  # fmt: skip
    from api.settings import ApiSettings, parse_signing_keys

    signing = tuple(parse_signing_keys(keys, ""))
    config = ApiConfig(board=BOARD, privacy_k=1)
    ql = InfluxQL(influx_url)
    registry = load_registry(sites)
    survey_keys = ApiSettings(
        api_signing_keys=keys, survey_seal_key=seal.decode() if seal else None
    )
    surveys = build_surveys(db, SurveysConfig(), registry_stratum(registry), config.privacy_k,
                            clock, seal_key=survey_keys.survey_keys())  # fmt: skip
    app = create_app(
        Parts(
            public_store=PublicStore(ql, raw),
            private_store=PrivateStore(ql, raw),
            reference=Reference(load_geography(), registry, config.privacy_k),
            config=config,
            secrets=Secrets("tenancy-admin-token", {}, signing[0][1], signing),
            factors=load_emission_factors(),
            board=Board(db, BOARD, clock),
            surveys=surveys,
        )
    )
    app.state.board_limits["redeem"] = TokenBuckets(100.0, 100)
    return app


@pytest.fixture
def world(
    engine: Engine, tmp_path: Path, clock: Clock, influx: InfluxServer, months_db: str
) -> Iterator[World]:
    sites = write_city(tmp_path)
    app = build(engine, sites, clock, KEY_1, influx.url, months_db)
    yield World(app, engine, clock, sites, influx.url, months_db)
