"""District and dong pages: the building-type split; the citizens' Grafana links when configured."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api.settings import ApiConfig, GrafanaConfig
from tests.api.conftest import ApiCity, RecordingQL, build_app
from tests.rollup import city

pytestmark = pytest.mark.timeout(120)


def _split(html: str) -> str:
    return html.split('id="types-table"', 1)[1].split("</table>", 1)[0]


def test_district_page_splits_the_use_by_building_type(api_city: ApiCity) -> None:
    district = city.APARTMENT_DONG[0]
    html = api_city.client.get(f"/districts/{district}").text
    table = _split(html)
    assert re.findall(r'<tr data-type="(\w+)" data-status="(\w+)"', table) == [("apartment", "ok")]
    # The apartment complex is the district's only building: the split's figure is the district's.
    total = api_city.client.get(f"/v1/districts/{district}/consumption").json()["total"]
    assert total["status"] == "ok" and f"{total['consumption']:,.1f}" in table
    assert 'id="types-chart"' in html and "/static/split.js" in html


def test_dong_page_split_says_why_a_type_is_withheld(api_city: ApiCity) -> None:
    html = api_city.client.get(f"/dongs/{city.SUPPRESSED_DONG}").text
    table = _split(html)
    rows = dict(re.findall(r'<tr data-type="(\w+)" data-status="(\w+)"', table))
    assert rows == {"detached_house": "suppressed"}  # three households: fewer than k
    row = table.split('data-type="detached_house"', 1)[1].split("</tr>", 1)[0]
    assert "비공개: 개인정보 보호" in row and 'data-value=""' in row


def test_no_grafana_link_without_a_configured_url(api_city: ApiCity) -> None:
    for path in ("/", "/districts/29140", f"/dongs/{city.APARTMENT_DONG[1]}"):
        html = api_city.client.get(path).text
        assert "grafana-link" not in html and "/d/citizens-" not in html


def test_city_district_and_dong_pages_link_the_citizens_boards(api_city: ApiCity) -> None:
    c = api_city.city
    config = ApiConfig(grafana=GrafanaConfig(citizens_url="https://grafana.example.kr/"))
    app = build_app(c, RecordingQL(c.url), RecordingQL(c.url), config)
    district, dong = city.APARTMENT_DONG
    expected = {
        "/": "https://grafana.example.kr/d/citizens-city",
        f"/districts/{district}": f"https://grafana.example.kr/d/citizens-{district}",
        f"/dongs/{dong}": f"https://grafana.example.kr/d/citizens-{district}",
    }
    with TestClient(app) as client:
        for path, href in expected.items():
            html = client.get(path).text
            assert f'<a href="{href}" id="grafana-link"' in html, path
        assert "grafana-link" not in client.get("/map").text  # no board for the map


@pytest.mark.parametrize(
    "url",
    ["ftp://grafana.example.kr", "grafana.example.kr", "https://x.kr/?a=1", "https://u:p@x.kr"],
)
def test_grafana_url_must_be_a_plain_http_url(url: str) -> None:
    with pytest.raises(ValidationError, match="citizens_url"):
        ApiConfig.model_validate({"grafana": {"citizens_url": url}})
