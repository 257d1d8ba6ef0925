"""The portal in headless Chromium against the whole running platform."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator

import pytest

from devstack.browser import wire_bytes
from telemetry.paths import config_dir
from tests.web.chart_check import SPY, charts_missing
from tests.web.conftest import AXE, EITHER, Portal, is_figure

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]

PUBLISHED_DONG = "2917065600"  # 문흥1동: 1,200 households (or 풍암동 published: EITHER)
INDUSTRIAL_DONG = "2920064000"  # 하남: one industrial complex, fewer than k sites
PAGES = [
    "/",
    "/map",
    "/about",
    "/building-types",
    "/districts/29170",
    f"/dongs/{PUBLISHED_DONG}",
    "/embed/city",
    f"/embed/dongs/{PUBLISHED_DONG}",
]
NEXT_MINUTE_MS = 100_000
# A first visit (empty cache) of the map or a dong page, over the wire: the page, its
# style sheet and scripts, the portal's ECharts bundle, the map's boundaries.
FIRST_VISIT_BUDGET = 200_000
PHONE = {"width": 360, "height": 740}


@pytest.fixture
def page(browser, portal: Portal) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=portal.base, locale="ko-KR")
    page = context.new_page()
    page.csp_errors = []  # type: ignore[attr-defined]
    page.on(
        "console",
        lambda m: "Content Security Policy" in m.text and page.csp_errors.append(m.text),
    )
    yield page
    context.close()


def test_city_page_shows_live_figures_that_change_with_the_next_minute(page, portal) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    as_of = page.locator("#as-of")
    first = as_of.inner_text()
    assert "기준 시각" in first and "KST" in first
    elec = page.locator('#city-table [data-fig="city.electricity.rate"]').inner_text()
    assert float(elec.replace(",", "")) > 0
    # The live stream rewrites the figures in place when the next minute is published.
    page.wait_for_function(
        "first => document.getElementById('as-of').textContent !== first",
        arg=first,
        timeout=NEXT_MINUTE_MS,
    )
    assert page.locator("#live").get_attribute("data-minute") <= portal.live()["minute"]
    later = page.locator('#city-table [data-fig="city.electricity.rate"]').inner_text()
    assert float(later.replace(",", "")) > 0
    assert as_of.inner_text() != first
    assert page.csp_errors == []


def _interior_point(dong: str) -> list[float]:
    """A point well inside a dong's polygon (grid sample, ray casting), lon/lat."""
    geo = json.loads((config_dir() / "geo/gwangju_dongs.geojson").read_text(encoding="utf-8"))
    feature = next(f for f in geo["features"] if f["properties"]["dong"] == dong)
    geom = feature["geometry"]
    ring = (geom["coordinates"] if geom["type"] == "Polygon" else geom["coordinates"][0])[0]
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]

    def inside(x: float, y: float) -> bool:
        hit = False
        for (x1, y1), (x2, y2) in itertools.pairwise(ring):
            if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
                hit = not hit
        return hit

    grid = [
        (min(xs) + (max(xs) - min(xs)) * i / 20, min(ys) + (max(ys) - min(ys)) * j / 20)
        for i in range(1, 20)
        for j in range(1, 20)
    ]
    points = [p for p in grid if inside(*p)]
    cx, cy = sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)
    best = min(points, key=lambda p: (p[0] - cx) ** 2 + (p[1] - cy) ** 2)
    return [best[0], best[1]]


MAP_DATA = """() => {
  const chart = echarts.getInstanceByDom(document.getElementById('map'));
  return chart.getOption().series[0].data.map(d => ({
    code: d.name, status: d.status, decal: (d.itemStyle && d.itemStyle.decal && d.itemStyle.decal.symbol) || null,
    label: d.label && d.label.show ? d.label.formatter : null, value: d.value }));
}"""


def test_map_has_96_dongs_hatches_a_withheld_one_and_opens_a_dong(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/map")
    page.wait_for_selector("#map[data-ready=true] canvas")
    data = {d["code"]: d for d in page.evaluate(MAP_DATA)}
    assert len(data) == 96
    withheld = data[INDUSTRIAL_DONG]
    assert withheld["status"] == "suppressed" and withheld["decal"] == "rect"
    assert "비공개" in withheld["label"] and "가구 수 부족" in withheld["label"]
    assert withheld["value"] is None  # not zero
    subtraction = [data[c] for c in EITHER if data[c]["status"] == "suppressed"]
    assert subtraction, [data[c] for c in EITHER]
    assert all(d["decal"] == "rect" and "차감 방지" in d["label"] for d in subtraction)
    shown = next((c for c in EITHER if data[c]["status"] != "suppressed"), None)
    assert shown is not None, [data[c] for c in EITHER]
    published = data[shown]
    assert published["decal"] is None and published["value"] > 0, published
    # The legend says what the hatching means; the table gives every reason in words.
    assert "빗금" in page.locator(".legend").inner_text()
    assert "경계: 통계청 SGIS" in page.locator(".attribution").inner_text()
    lon, lat = _interior_point(shown)
    x, y = page.evaluate(
        "p => echarts.getInstanceByDom(document.getElementById('map'))"
        ".convertToPixel({seriesIndex: 0}, p)",
        [lon, lat],
    )
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_url(f"**/dongs/{shown}")
    page.wait_for_selector("#series-chart[data-ready=true] canvas")
    assert page.locator("h1").inner_text() == EITHER[shown]
    assert page.locator("#series-table tbody tr").count() > 0
    assert page.csp_errors == []


@pytest.mark.parametrize("path", ["/map", f"/dongs/{PUBLISHED_DONG}"])
def test_map_and_dong_pages_weigh_under_the_budget_on_a_first_visit(browser, portal, path) -> None:  # type: ignore[no-untyped-def]
    # A fresh context is an empty cache: a phone's first visit, 360 px wide.
    context = browser.new_context(base_url=portal.base, locale="ko-KR", viewport=PHONE)
    context.add_init_script(SPY)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    try:
        weight = wire_bytes(page)
        page.goto(path)
        page.wait_for_selector(".chart[data-ready=true] canvas")
        page.wait_for_load_state("networkidle")
        size, requests = weight()
        print(f"{path}: {size:,d} bytes in {requests} requests on a first visit")
        assert size < FIRST_VISIT_BUDGET, (size, requests)
        if path == "/map":
            # The light ECharts still draws every dong, hatched ones included, credited.
            data = {d["code"]: d for d in page.evaluate(MAP_DATA)}
            assert len(data) == 96
            assert data[INDUSTRIAL_DONG]["decal"] == "rect"
            assert "경계: 통계청 SGIS" in page.locator(".attribution").inner_text()
        # Every series and component the page's charts ask for is in the bundle.
        drawn = charts_missing(page)
        assert drawn and all(m == [] for m in drawn), drawn
        canvas = page.locator(".chart[data-ready=true] canvas").first.bounding_box()
        assert canvas["width"] <= PHONE["width"] and canvas["height"] > 100
        assert errors == []
    finally:
        context.close()


def test_pages_show_their_figures_as_tables_without_javascript(browser, portal) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=portal.base, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/")
        elec = page.locator('#city-table [data-fig="city.electricity.rate"]').inner_text()
        assert float(elec.replace(",", "")) > 0
        page.goto("/map")
        assert page.locator("#dong-table tbody tr").count() == 96
        assert not page.locator("#map").is_visible()  # no empty chart box
        row = page.locator(f'#dong-table tr[data-dong="{INDUSTRIAL_DONG}"]').inner_text()
        assert "비공개" in row and "개인정보 보호" in row
        figures = []  # one of the two dongs' hours is withheld with 하남 (EITHER)
        for dong in EITHER:
            page.goto(f"/dongs/{dong}?every=hour")
            cells = page.locator("#series-table tbody td").all_inner_texts()
            figures += [c for c in cells if is_figure(c)]
        assert figures
    finally:
        context.close()


@pytest.mark.parametrize("path", PAGES)
def test_axe_finds_no_serious_or_critical_violations(browser, portal, path: str) -> None:  # type: ignore[no-untyped-def]
    # axe is injected by the test, which the page's policy (rightly) would refuse.
    context = browser.new_context(base_url=portal.base, bypass_csp=True)
    page = context.new_page()
    try:
        page.goto(path)
        if path in ("/map", f"/dongs/{PUBLISHED_DONG}"):
            page.wait_for_selector(".chart[data-ready=true] canvas")
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("async () => await axe.run(document)")
        assert result["passes"], "axe checked nothing"
        bad = [
            (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert bad == [], bad
    finally:
        context.close()
