"""The portal's pages in-process over a rolled-up city: figures in the HTML, headers, privacy."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import ApiCity
from tests.rollup import city

pytestmark = pytest.mark.timeout(120)

PAGES = [
    "/",
    "/map",
    "/building-types",
    "/about",
    "/districts/29140",
    f"/dongs/{city.APARTMENT_DONG[1]}",
]


class Tags(HTMLParser):
    """Every start tag with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(html)
    return parser.tags


@pytest.mark.parametrize("path", PAGES)
def test_page_is_korean_cacheable_and_has_no_inline_script_or_style(
    api_city: ApiCity, path: str
) -> None:
    r = api_city.client.get(path)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    assert '<html lang="ko">' in r.text
    assert r.headers["cache-control"] == "public, max-age=60"
    policy = r.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    found = tags(r.text)
    scripts = [a for t, a in found if t == "script"]
    assert all(a.get("src", "").startswith("/static/") for a in scripts)
    assert not [t for t, a in found if "style" in a or t == "style"]
    assert not [a for t, a in found for k in a if k.startswith("on")]  # no inline handlers


def test_city_page_shows_the_live_figures_as_a_table(api_city: ApiCity) -> None:
    live = api_city.client.get("/v1/city/live").json()
    html = api_city.client.get("/").text
    elec = next(u for u in live["utilities"] if u["utility"] == "electricity")
    table = html.split('id="city-table"', 1)[1].split("</table>", 1)[0]
    assert f"{elec['rate']:,.1f}" in table
    minute = live["minute"][:16].replace("T", " ")
    assert f"기준 시각: {minute} KST" in html  # the API's minute is already KST
    # The district with too few households says withheld and why, never a number.
    row = html.split('id="district-table"', 1)[1].split(f"/districts/{city.SUPPRESSED_DISTRICT}")[1]
    assert "비공개" in row.split("</tr>", 1)[0]
    assert "개인정보 보호" in html


def test_map_lists_every_dong_and_withheld_ones_with_their_reason(api_city: ApiCity) -> None:
    html = api_city.client.get("/map").text
    rows = re.findall(r'<tr data-dong="(\d{10})"[^>]*data-status="(\w+)"', html)
    assert len(rows) == 96 and len({code for code, _ in rows}) == 96
    status = dict(rows)
    assert status[city.SUPPRESSED_DONG] == "suppressed"
    assert status[city.APARTMENT_DONG[1]] == "ok"
    row = html.split(f'data-dong="{city.SUPPRESSED_DONG}"', 1)[1].split("</tr>", 1)[0]
    assert "비공개: 개인정보 보호" in row and f"{5}가구" in row
    assert "Statistics Korea SGIS" not in html  # Korean page: the Korean attribution
    assert "통계청 SGIS" in html and "CC BY 4.0" in html


def test_map_switches_utility_and_period(api_city: ApiCity) -> None:
    html = api_city.client.get("/map", params={"utility": "gas", "period": "month"}).text
    assert "동별 가스 사용량, 이번 달" in html
    assert api_city.client.get("/map", params={"period": "year"}).status_code == 422


def test_dong_page_has_series_previous_period_and_a_plain_line(api_city: ApiCity) -> None:
    dong = city.APARTMENT_DONG[1]
    series = api_city.client.get(
        f"/v1/districts/{city.APARTMENT_DONG[0]}/dongs/{dong}/consumption",
        params={"every": "hour"},
    ).json()
    html = api_city.client.get(f"/dongs/{dong}", params={"every": "hour"}).text
    assert "<h1>풍암동</h1>" in html
    table = html.split('id="series-table"', 1)[1].split("</table>", 1)[0]
    published = [p for p in series["points"] if p["status"] == "ok"]
    assert published
    for p in published:
        assert f"{p['consumption']:,.1f}" in table
    assert table.count("<tr data-label") == len(series["points"])
    line = html.split('id="plain-line">', 1)[1].split("</p>", 1)[0]
    assert "풍암동" in line and "전기" in line


def test_withheld_dong_page_says_why(api_city: ApiCity) -> None:
    html = api_city.client.get(f"/dongs/{city.SUPPRESSED_DONG}").text
    summary = html.split('class="figures summary"', 1)[1].split("</table>", 1)[0]
    assert "비공개: 개인정보 보호" in summary


def test_building_types_split_the_city_and_say_why_a_type_is_missing(api_city: ApiCity) -> None:
    html = api_city.client.get("/building-types").text
    rows = dict(re.findall(r'<tr data-type="(\w+)" data-status="(\w+)"', html))
    assert rows["industrial"] == "ok" and rows["apartment"] == "ok"
    assert rows["detached_house"] == "suppressed"  # three households: fewer than k
    row = html.split('data-type="detached_house"', 1)[1].split("</tr>", 1)[0]
    assert "비공개: 개인정보 보호" in row


def test_about_names_k_factors_licence_and_open_data(api_city: ApiCity) -> None:
    html = api_city.client.get("/about").text
    assert "5가구 이상" in html
    assert "0.4173" in html and "2023" in html
    assert "/v1/open-data/consumption.csv" in html
    assert api_city.app.state.config.licence.name in html


def test_english_switch(api_city: ApiCity) -> None:
    ko = api_city.client.get("/map").text
    assert 'href="/map?lang=en"' in ko
    en = api_city.client.get("/map", params={"lang": "en"}).text
    assert '<html lang="en">' in en and "Energy map of the dongs" in en
    assert 'href="/dongs/2914083000?lang=en"' in en


def test_unknown_area_is_a_404_page(api_city: ApiCity) -> None:
    r = api_city.client.get("/dongs/9999999999")
    assert r.status_code == 404 and "찾는 지역이 없습니다" in r.text


def test_boundaries_and_static_files_are_served_with_cache_headers(api_city: ApiCity) -> None:
    geo = api_city.client.get("/geo/dongs.geojson")
    assert geo.status_code == 200 and len(geo.json()["features"]) == 96
    css = api_city.client.get("/static/portal.css")
    assert css.status_code == 200 and css.headers["cache-control"].startswith("public, max-age=")


@pytest.mark.parametrize(
    "path", ["/embed/city", "/embed/districts/29140", f"/embed/dongs/{city.APARTMENT_DONG[1]}"]
)
def test_widgets_are_framable_by_configured_origins_only_and_set_no_cookie(
    api_city: ApiCity, path: str
) -> None:
    r = api_city.client.get(path)
    assert r.status_code == 200, r.text
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]  # none configured
    assert "set-cookie" not in r.headers
    assert "<nav" not in r.text  # a widget, not a page


def test_widget_frame_ancestors_come_from_the_config(api_city: ApiCity) -> None:
    from api.settings import ApiConfig
    from tests.api.conftest import RecordingQL, build_app

    c = api_city.city
    config = ApiConfig(embed_frame_ancestors=["https://apt.example.kr"])
    app = build_app(c, RecordingQL(c.url), RecordingQL(c.url), config)
    with TestClient(app) as client:
        widget = client.get("/embed/city")
        policy = widget.headers["content-security-policy"]
        assert "frame-ancestors https://apt.example.kr" in policy
        assert "x-frame-options" not in widget.headers  # it would forbid any framing
        assert "frame-ancestors 'none'" in client.get("/").headers["content-security-policy"]
    bad = ApiConfig(embed_frame_ancestors=["https://x.kr; script-src *"])
    with pytest.raises(ValueError, match=r"embed_frame_ancestors\[0\]"):
        build_app(c, RecordingQL(c.url), RecordingQL(c.url), bad)


@pytest.mark.parametrize("path", [*PAGES, "/embed/city", "/embed/districts/29140"])
def test_every_page_reads_in_english_too(api_city: ApiCity, path: str) -> None:
    r = api_city.client.get(path, params={"lang": "en"})
    assert r.status_code == 200, r.text
    assert '<html lang="en">' in r.text and r.headers["content-language"] == "en"
    assert not re.search(
        r"[가-힣]{4,}", r.text.split("<main", 1)[1].split("</main>")[0].replace("풍암동", "")
    )
