"""A dong where one factory uses ~90 % (issue 24), through the real rollup process into a
real InfluxDB, read by the API: the dong is withheld with the reason "one site dominates"
on the API, the map, the dong page and the open-data CSV, and no page shows its figure."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from devstack import InfluxServer
from telemetry.influxql import InfluxQL
from tests.api.conftest import build_app
from tests.disclosure.dominated_city import DISTRICT, FACTORY_DONG, roll_dominated_city
from tests.rollup import city
from tests.rollup.conftest import RolledCity

pytestmark = pytest.mark.timeout(180)


@dataclass
class Dominated:
    city: RolledCity
    client: TestClient


@pytest.fixture(scope="module")
def dominated(
    influx: InfluxServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Dominated]:
    c = roll_dominated_city(influx, tmp_path_factory.mktemp("dominated"))
    ql = InfluxQL(influx.url)
    with TestClient(build_app(c, ql, ql)) as client:
        yield Dominated(c, client)
    ql.close()
    c.ql.close()


def test_the_api_withholds_the_dong_saying_one_site_dominates(dominated: Dominated) -> None:
    series = dominated.client.get(
        f"/v1/districts/{DISTRICT}/dongs/{FACTORY_DONG}/consumption", params={"every": "hour"}
    ).json()
    withheld = [p for p in series["points"] if p["status"] == "suppressed"]
    assert withheld and all("one site dominates" in p["reason"] for p in withheld)
    assert all(p["consumption"] is None for p in series["points"])
    assert "one site dominates" in series["total"]["reason"]
    # The apartments' dong, 840 households on one bulk meter, is no dominant site.
    flat = dominated.client.get(
        f"/v1/districts/{city.APARTMENT_DONG[0]}/dongs/{city.APARTMENT_DONG[1]}/consumption",
        params={"every": "hour"},
    ).json()
    assert any(p["status"] == "ok" for p in flat["points"])


def test_the_map_and_the_dong_page_say_one_site_dominates(dominated: Dominated) -> None:
    html = dominated.client.get("/map").text
    row = html.split(f'data-dong="{FACTORY_DONG}"', 1)[1].split("</tr>", 1)[0]
    assert 'data-status="suppressed"' in row and "한 곳의 사용량이 대부분" in row
    english = dominated.client.get("/map", params={"lang": "en"}).text
    row = english.split(f'data-dong="{FACTORY_DONG}"', 1)[1].split("</tr>", 1)[0]
    assert "one site uses most of this group" in row
    page = dominated.client.get(f"/dongs/{FACTORY_DONG}").text
    summary = page.split('class="figures summary"', 1)[1].split("</table>", 1)[0]
    assert "한 곳의 사용량이 대부분" in summary


def test_the_open_data_lists_the_dong_as_withheld_without_figures(dominated: Dominated) -> None:
    for every in ("hour", "day"):
        text = dominated.client.get(
            "/v1/open-data/consumption.csv", params={"level": "dong", "every": every}
        ).text
        rows = list(csv.DictReader(io.StringIO(text.split("\n", 1)[1])))
        mine = [r for r in rows if r["dong_code"] == FACTORY_DONG]
        assert mine, every
        for r in mine:
            assert (r["status"], r["withheld_reason"]) == ("withheld", "one_site_dominates")
            assert r["consumption_kwh"] == r["co2e_kg"] == r["households"] == ""
        shown = [r for r in rows if r["status"] == "ok"]
        assert shown and all(re.fullmatch(r"[\d.]+", r["consumption_kwh"]) for r in shown)


def test_the_methodology_page_explains_the_rules_with_their_parameters(
    dominated: Dominated,
) -> None:
    ko = dominated.client.get("/about").text
    rules = ko.split('<ul class="rules">', 1)[1].split("</ul>", 1)[0]
    assert "5가구" in rules and "10%" in rules and "20%" in rules and "모두 같은 답" in rules
    en = dominated.client.get("/about", params={"lang": "en"}).text
    rules = en.split('<ul class="rules">', 1)[1].split("</ul>", 1)[0]
    assert "One site dominates" in rules and "within 10 %" in rules and "fewer than 5" in rules
