"""A small city of households and their monthly rollup, for the household page's tests.

`kim-0001` (detached house in 학운동, its own household site) has metered
electricity (and, for the same months, an electricity bill the metered figure
must win over; before its meter was fitted, Green Button electricity, which wins
over the bill), Green Button gas and water bills that straddle months
(apportioned). It enrolled in a retrofit six months before the current month
(mid-month); its baseline is the twelve months before that. Three similar
households (same dong and building type) have electricity (one month only two
of them), one has gas: with k = 3 electricity passes the privacy rule and gas
does not. `park-0002` lives in an apartment complex, is in no programme and has
Green Button electricity only.

Use follows known models on Gwangju's climate normal (the degree-days the API
uses), so savings are known exactly: electricity 10 %, gas 20 %, water 5 %.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from influxdb_client import Point

from api.app import Parts, create_app
from api.auth import Secrets
from api.settings import ApiConfig
from devstack import InfluxServer
from insights.degree_days import month_degree_days
from stores.influx import PrivateStore, PublicStore
from stores.reference import Reference
from stores.timewin import KST
from telemetry.db import make_engine
from telemetry.db.migrate import upgrade
from telemetry.emissions import load_emission_factors
from telemetry.influx_schema import (
    FIELD_APPORTIONED,
    METER_CONSUMPTION_1MO,
    TAG_SOURCE,
    rollup_bucket,
)
from telemetry.influxql import InfluxQL
from telemetry.registry import load_geography, load_registry
from tests.rollup.city import write_points

K = 3
KEY = "household-signing-key"
DONG, DISTRICT = "2911071000", "29110"  # 학운동, 동구
SITES = f"""\
programmes: programmes.yaml
households: households.yaml
sites:
  - {{id: kim-home, name_ko: 김씨 댁, name_en: Kim home, kind: household,
     district: "{DISTRICT}", dong: "{DONG}", building_type: detached_house, households: 1}}
  - {{id: pungam-apt, name_ko: 풍암 아파트, name_en: Pungam apartments, kind: apartment_complex,
     district: "29140", dong: "2914083000", building_type: apartment, households: 300}}
  - {{id: importer-gb, name_ko: 그린버튼, name_en: Green Button importer, kind: public_building,
     district: "{DISTRICT}", dong: "{DONG}", building_type: public}}
  - {{id: importer-bills, name_ko: 고지서, name_en: Bills importer, kind: public_building,
     district: "{DISTRICT}", dong: "{DONG}", building_type: public}}
"""
PROGRAMMES = """\
programmes:
  - {id: green-remodel, name_ko: 그린 리모델링, name_en: Green remodelling, kind: retrofit,
     start: 2020-01-01}
"""
SAVED = {"electricity": 0.10, "gas": 0.20, "water": 0.05}


def month_start(today: dt.date, n: int) -> dt.date:
    """The first day of the KST month n months from today's."""
    months = today.year * 12 + today.month - 1 + n
    return dt.date(months // 12, months % 12 + 1, 1)


@dataclass(frozen=True)
class HouseholdCity:
    sites: Path
    today: dt.date
    enrolled: dt.date
    metered_from: dt.date  # kim's electricity meter: metered from this month on
    gappy_month: dt.date  # only two of the three similar households have electricity
    first: dt.date  # kim's first month of data
    expected: dict[tuple[str, dt.date], tuple[float, str, bool]]  # kim's (utility, month)
    db_url: str = ""  # the platform database behind the app (households' link versions)

    def months(self) -> list[dt.date]:
        out, m = [], self.first
        while m <= month_start(self.today, 0):
            out.append(m)
            m = month_start(m, 1)
        return out


def kim_use(utility: str, month: dt.date, after: bool) -> float:
    dd = month_degree_days(month)
    base = {
        "electricity": 6 * dd.days + 1.0 * dd.hdd + 4.0 * dd.cdd,
        "gas": 1.0 * dd.days + 0.5 * dd.hdd,
        "water": 0.3 * dd.days,
    }[utility]
    return base * (1 - SAVED[utility]) if after else base


def peer_use(i: int, month: dt.date) -> float:
    return (5 + i) * month_degree_days(month).days


def _point(
    site: str,
    meter: str,
    utility: str,
    source: str,
    month: dt.date,
    value: float,
    apportioned: bool = False,
    dong: str = DONG,
) -> Point:
    start = dt.datetime.combine(month, dt.time(), KST)
    return (
        Point(METER_CONSUMPTION_1MO)
        .tag("site", site)
        .tag("meter", meter)
        .tag("utility", utility)
        .tag("district", dong[:5])
        .tag("dong", dong)
        .tag("building_type", "detached_house")
        .tag(TAG_SOURCE, source)
        .field("consumption", float(value))
        .field(FIELD_APPORTIONED, int(apportioned))
        .time(int(start.timestamp() * 1000), write_precision="ms")
    )


def build(directory: Path, today: dt.date) -> tuple[HouseholdCity, list[Point]]:
    """The registry files in `directory` and the rollup points: what `meter_consumption_1mo`
    holds after the rollup has run over these households' readings, imports and bills
    (the stored rollup format the page reads)."""
    enrolled = month_start(today, -6) + dt.timedelta(days=14)
    first, metered_from = month_start(today, -18), month_start(today, -9)
    gappy = month_start(today, -3)
    (directory / "programmes.yaml").write_text(PROGRAMMES, encoding="utf-8")
    (directory / "sites.yaml").write_text(SITES, encoding="utf-8")
    homes = [
        "households:\n",
        f"  - {{id: kim-0001, site: kim-home, building_type: detached_house, size_band: 60-85,\n"
        f"     enrolments: [{{programme: green-remodel, start: {enrolled.isoformat()},\n"
        "       measures: [roof insulation, condensing boiler]}]}\n",
        "  - {id: park-0002, site: pungam-apt, building_type: apartment, size_band: 40-60}\n",
    ]
    homes += [
        f'  - {{id: peer-{i}, dong: "{DONG}", building_type: detached_house, size_band: 60-85}}\n'
        for i in range(3)
    ]
    (directory / "households.yaml").write_text("".join(homes), encoding="utf-8")
    points: list[Point] = []
    expected: dict[tuple[str, dt.date], tuple[float, str, bool]] = {}
    city = HouseholdCity(directory / "sites.yaml", today, enrolled, metered_from, gappy, first, {})
    for m in city.months():
        after = m > enrolled
        elec = kim_use("electricity", m, after)
        # A bill every month; the meter from metered_from on, Green Button before it.
        points.append(
            _point(
                "importer-bills",
                "kim-0001-electricity-bill",
                "electricity",
                "bill",
                m,
                elec * 1.3,
                apportioned=True,
            )
        )
        if m >= metered_from:
            points.append(_point("kim-home", "elec", "electricity", "meter", m, elec))
            expected[("electricity", m)] = (elec, "meter", False)
        else:
            points.append(
                _point("importer-gb", "kim-0001-electricity", "electricity", "interval", m, elec)
            )
            expected[("electricity", m)] = (elec, "interval", False)
        gas = kim_use("gas", m, after)
        points.append(_point("importer-gb", "kim-0001-gas", "gas", "interval", m, gas))
        expected[("gas", m)] = (gas, "interval", False)
        water = kim_use("water", m, after)
        points.append(
            _point(
                "importer-bills", "kim-0001-water-bill", "water", "bill", m, water, apportioned=True
            )
        )
        expected[("water", m)] = (water, "bill", True)
        for i in range(3):
            if not (i == 2 and m == gappy):
                points.append(
                    _point(
                        "importer-gb",
                        f"peer-{i}-electricity",
                        "electricity",
                        "interval",
                        m,
                        peer_use(i, m),
                    )
                )
        points.append(_point("importer-gb", "peer-0-gas", "gas", "interval", m, 40.0))
        # park-0002 in the apartment complex: Green Button electricity; a neighbour's meter
        # at the complex (not park's) must not count.
        points.append(
            _point(
                "importer-gb",
                "park-0002-electricity",
                "electricity",
                "interval",
                m,
                150.0,
                dong="2914083000",
            )
        )
        points.append(
            _point(
                "pungam-apt", "common-elec", "electricity", "meter", m, 9999.0, dong="2914083000"
            )
        )
    # Another household's imported meter whose id starts like kim's must not count.
    points.append(_point("importer-gb", "kim-00010-gas", "gas", "interval", first, 777.0))
    return HouseholdCity(city.sites, today, enrolled, metered_from, gappy, first, expected), points


def seed(influx: InfluxServer, directory: Path) -> tuple[HouseholdCity, str]:
    """The city's registry files in `directory` and its rollup in a new InfluxDB database
    (returned with the city)."""
    c, points = build(directory, dt.datetime.now(KST).date())
    raw = f"raw_{uuid.uuid4().hex[:8]}"
    influx.create_database(raw)
    write_points(influx.url, rollup_bucket(raw), points)
    return c, raw


def city_app(ql: InfluxQL, raw: str, c: HouseholdCity, db_url: str) -> FastAPI:
    """The API over the city's rollup and the platform database at `db_url` (migrated)."""
    upgrade(db_url)
    config = ApiConfig(privacy_k=K)
    return create_app(
        Parts(
            public_store=PublicStore(ql, raw),
            private_store=PrivateStore(ql, raw),
            reference=Reference(load_geography(), load_registry(c.sites), config.privacy_k),
            config=config,
            secrets=Secrets("admin", {}, KEY),
            factors=load_emission_factors(),
            db=make_engine(db_url),
        )
    )


@pytest.fixture(scope="module")
def homes(
    influx: InfluxServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, HouseholdCity]]:
    c, raw = seed(influx, tmp_path_factory.mktemp("households"))
    c = dataclasses.replace(c, db_url=f"sqlite:///{c.sites.parent / 'platform.sqlite'}")
    ql = InfluxQL(influx.url)
    with TestClient(city_app(ql, raw, c, c.db_url)) as client:
        yield client, c
    ql.close()
