"""The admin evaluation route over a real InfluxDB: households' monthly rollup, by source."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from influxdb_client import Point

from api.app import Parts, create_app
from api.auth import Secrets
from api.settings import ApiConfig
from devstack import InfluxServer
from insights import programme_data
from insights.household_report import report
from insights.programme_eval import evaluate
from insights.programme_inputs import MonthlyUse, Subject
from stores.influx import PrivateStore, PublicStore
from stores.reference import Reference
from telemetry.emissions import load_emission_factors
from telemetry.influx_schema import (
    FIELD_APPORTIONED,
    METER_CONSUMPTION_1MO,
    SOURCE_BILL,
    SOURCE_INTERVAL,
    SOURCE_METER,
    TAG_SOURCE,
    rollup_bucket,
)
from telemetry.influxql import InfluxQL
from telemetry.registry import load_geography, load_registry
from tests.households.synthetic import month, synthetic_city
from tests.rollup import city

ADMIN = "admin-token"
KST = dt.timezone(dt.timedelta(hours=9))
DONGS = ["2911071000", "2914083000"]  # 학운동 (동구), 풍암동 (서구); two building types each
GB_UNTIL = month(15)  # Green Button before it, bills only from it (enrolments: months 12-23)
CITY = dict(cells=4, per_cell=60, months=30, dongs=DONGS, utilities=("electricity", "gas"))
SITES = """\
programmes: programmes.yaml
households: households.yaml
sites:
  - {id: importer, name_ko: 가져오기, name_en: Importer, kind: public_building,
     district: "29110", dong: "2911071000", building_type: public}
"""
PROGRAMMES = """\
programmes:
  - {id: retrofit, name_ko: 효율 개선, name_en: Retrofit, kind: retrofit, start: 2025-06-01}
  - {id: placebo, name_ko: 위약, name_en: Placebo, kind: other, start: 2025-06-01}
"""


def _registry_files(directory: Path, subjects: list[Subject]) -> Path:
    """Households 0 and 1 of each cell on their own household site; the rest standalone in
    their dong, read through the importer's meters (`<household>-<utility>...`)."""
    sites, homes = [SITES], ["households:\n"]
    for s in subjects:
        dong, kind = s.cell
        district = dong[:5]
        enrol = ", ".join(
            f"{{programme: {e.programme}, start: {e.start.isoformat()}}}" for e in s.enrolments
        )
        if s.id.endswith(("-0", "-1")):
            sites.append(
                f"  - {{id: site-{s.id}, name_ko: 집, name_en: Home, kind: household,\n"
                f'     district: "{district}", dong: "{dong}", building_type: {kind}}}\n'
            )
            where = f"site: site-{s.id}"
        else:
            where = f'dong: "{dong}"'
        homes.append(
            f"  - {{id: {s.id}, {where}, building_type: {kind}, size_band: 40-60,\n"
            f"     enrolments: [{enrol}]}}\n"
        )
    (directory / "programmes.yaml").write_text(PROGRAMMES, encoding="utf-8")
    (directory / "households.yaml").write_text("".join(homes), encoding="utf-8")
    (directory / "sites.yaml").write_text("".join(sites), encoding="utf-8")
    return directory / "sites.yaml"


def _month_point(site: str, meter: str, u: MonthlyUse, source: str, value: float) -> Point:
    t = dt.datetime(u.month.year, u.month.month, 1, tzinfo=KST)
    return (
        Point(METER_CONSUMPTION_1MO)
        .tag("site", site)
        .tag("meter", meter)
        .tag("utility", u.utility)
        .tag(TAG_SOURCE, source)
        .field("consumption", value)
        .field(FIELD_APPORTIONED, int(source == SOURCE_BILL))
        .time(int(t.timestamp() * 1000), write_precision="ms")
    )


def _points(uses: list[MonthlyUse]) -> list[Point]:
    """Each month's use as the monthly rollup holds it, by the best source present. Own-site
    households: their meter (a bill 30% off beside it must lose). The others: Green Button
    over two usage points (40% + 60%) and a bill 30% off beside it before GB_UNTIL, only
    the bill from then on."""
    points = []
    for u in uses:
        bill = f"{u.household}-{u.utility}-bill"
        if u.household.endswith(("-0", "-1")):
            meter = "elec" if u.utility == "electricity" else "gas"
            points.append(
                _month_point(f"site-{u.household}", meter, u, SOURCE_METER, u.consumption)
            )
            points.append(_month_point("importer", bill, u, SOURCE_BILL, u.consumption * 1.3))
        elif u.month < GB_UNTIL:
            gb = f"{u.household}-{u.utility}"
            points.append(_month_point("importer", gb, u, SOURCE_INTERVAL, u.consumption * 0.4))
            points.append(
                _month_point("importer", f"{gb}-2", u, SOURCE_INTERVAL, u.consumption * 0.6)
            )
            points.append(_month_point("importer", bill, u, SOURCE_BILL, u.consumption * 1.3))
        else:
            points.append(_month_point("importer", bill, u, SOURCE_BILL, u.consumption))
    return points


@pytest.fixture(scope="module")
def evaluated(influx: InfluxServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:  # type: ignore[type-arg]
    subjects, uses = synthetic_city(11, **CITY)  # type: ignore[arg-type]
    sites = _registry_files(tmp_path_factory.mktemp("programmes"), subjects)
    raw = f"raw_{uuid.uuid4().hex[:8]}"
    influx.create_database(raw)
    city.write_points(influx.url, rollup_bucket(raw), _points(uses))
    registry = load_registry(sites)
    config = ApiConfig(privacy_k=5)
    ql = InfluxQL(influx.url)
    app = create_app(
        Parts(
            public_store=PublicStore(ql, raw),
            private_store=PrivateStore(ql, raw),
            reference=Reference(load_geography(), registry, config.privacy_k),
            config=config,
            secrets=Secrets(ADMIN, {}, "key"),
            factors=load_emission_factors(),
        )
    )
    with TestClient(app) as client:
        yield {
            "client": client,
            "subjects": subjects,
            "uses": uses,
            "app": app,
            "store": PrivateStore(ql, raw),
            "registry": registry,
        }
    ql.close()


def _get(client: TestClient, path: str, **params: str) -> object:
    return client.get(path, params=params, headers={"Authorization": f"Bearer {ADMIN}"})


WINDOW = {"start": "2025-01-01", "end": "2027-07-01", "replicates": "100"}


def test_the_route_evaluates_what_the_store_holds(evaluated: dict) -> None:  # type: ignore[type-arg]
    r = _get(evaluated["client"], "/v1/admin/programmes/retrofit/evaluation", **WINDOW)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["programme"] == "retrofit" and body["privacy_k"] == 5
    assert body["start"].startswith("2025-01-01") and body["end"].startswith("2027-07-01")
    direct = evaluate("retrofit", evaluated["subjects"], evaluated["uses"], k=5, replicates=100)
    assert [u["utility"] for u in body["utilities"]] == ["electricity", "gas"]
    for got, want in zip(body["utilities"], direct, strict=True):
        assert got["status"] == "ok"
        assert got["enrolled_households"] == want.enrolled_households == 60
        assert got["comparison_households"] == want.comparison_households == 180
        assert got["change_pct"] == pytest.approx(want.change_pct, abs=0.02)
        assert got["ci_low_pct"] <= -8.0 <= got["ci_high_pct"]


def test_csv_export_and_the_placebo(evaluated: dict) -> None:  # type: ignore[type-arg]
    client = evaluated["client"]
    r = _get(client, "/v1/admin/programmes/placebo/evaluation.csv", **WINDOW)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["utility"] for row in rows] == ["electricity", "gas"]
    for row in rows:
        assert float(row["ci_low_pct"]) <= 0.0 <= float(row["ci_high_pct"])


def test_admin_only_known_programmes_and_sane_windows(evaluated: dict) -> None:  # type: ignore[type-arg]
    client = evaluated["client"]
    path = "/v1/admin/programmes/retrofit/evaluation"
    assert client.get(path).status_code == 401
    assert client.get(path, headers={"Authorization": "Bearer nope"}).status_code == 401
    assert _get(client, "/v1/admin/programmes/nope/evaluation").status_code == 404
    reversed_ = _get(client, path, start="2026-01-01", end="2025-01-01")  # answered, swapped
    assert reversed_.status_code == 200 and "swapped" in reversed_.headers["window-adjusted"]
    assert reversed_.json()["start"].startswith("2025-01-01")
    assert _get(client, path, start="someday").status_code == 400


def test_the_evaluation_reads_the_months_each_household_page_shows(evaluated: dict) -> None:  # type: ignore[type-arg]
    """The evaluation's input and the household's own report are the same months and use,
    for a metered household (its bill loses) and an imported one (Green Button, then bills)."""
    store, homes = evaluated["store"], evaluated["registry"].households
    window = (dt.datetime(2025, 1, 1, tzinfo=KST), dt.datetime(2027, 7, 1, tzinfo=KST))
    read = programme_data.monthly_use(store, homes, *window)
    for household in ("h0-1", "h2-7"):
        page = report(
            store,
            homes,
            homes.households[household],
            load_emission_factors(),
            k=5,
            today=dt.date(2027, 7, 1),
            window=window,
        )
        shown = {
            (u.utility.value, m.month): m.consumption for u in page.utilities for m in u.months
        }
        evaluated_months = {
            (r.utility, r.month.strftime("%Y-%m")): r.consumption
            for r in read
            if r.household == household
        }
        assert len(shown) == 2 * CITY["months"]  # type: ignore[operator]
        assert evaluated_months == pytest.approx(shown)
        sources = {m.source for u in page.utilities for m in u.months}
        assert sources == ({"meter"} if household == "h0-1" else {"interval", "bill"})
