"""A dong where one site dominates, in headless Chromium (issue 24): the map hatches it and
labels it "one site dominates", its table row says why, and the methodology page lists
the rules. The portal serves a small city rolled up by the real rollup process into a
real InfluxDB (tests/disclosure/dominated_city.py); no whole-platform stack needed.

ENERGY_SCREENSHOT_DIR=docs/screenshots writes the screenshots kept with the docs."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from devstack import InfluxServer, free_port
from telemetry.influxql import InfluxQL
from tests.api.conftest import build_app
from tests.disclosure.dominated_city import FACTORY_DONG, roll_dominated_city

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

MAP_DATA = """() => {
  const chart = echarts.getInstanceByDom(document.getElementById('map'));
  return chart.getOption().series[0].data.map(d => ({
    code: d.name, status: d.status, decal: (d.itemStyle && d.itemStyle.decal && d.itemStyle.decal.symbol) || null,
    label: d.label && d.label.show ? d.label.formatter : null, value: d.value }));
}"""


@pytest.fixture(scope="module")
def base(influx: InfluxServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    c = roll_dominated_city(influx, tmp_path_factory.mktemp("dominated"))
    ql = InfluxQL(influx.url)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(build_app(c, ql, ql), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the portal did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
    ql.close()
    c.ql.close()


def _shot(page, name: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = Path(os.environ.get("ENERGY_SCREENSHOT_DIR") or tmp_path)
    path = folder / name
    page.screenshot(path=str(path))  # the viewport: what a reader sees first
    assert path.stat().st_size > 10_000


@pytest.mark.parametrize(
    ("lang", "label"), [("ko", "한 곳이 대부분"), ("en", "one site dominates")]
)
def test_the_map_hatches_the_dominated_dong_and_says_why(
    chromium, base: str, tmp_path: Path, lang: str, label: str
) -> None:  # type: ignore[no-untyped-def]
    context = chromium.new_context(base_url=base, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"/map?lang={lang}")
    page.wait_for_selector("#map[data-ready=true] canvas")
    data = {d["code"]: d for d in page.evaluate(MAP_DATA)}
    dominated = data[FACTORY_DONG]
    assert dominated["status"] == "suppressed" and dominated["decal"] == "rect"
    assert label in dominated["label"] and dominated["value"] is None
    row = page.locator(f'tr[data-dong="{FACTORY_DONG}"]').inner_text()
    assert ("한 곳의 사용량이 대부분" if lang == "ko" else "one site uses most") in row
    page.locator("#map").scroll_into_view_if_needed()
    _shot(page, f"map-dominated-{lang}-desktop.png", tmp_path)
    context.close()


def test_the_methodology_page_lists_the_rules(chromium, base: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    context = chromium.new_context(base_url=base, viewport={"width": 360, "height": 800})
    page = context.new_page()
    page.goto("/about")
    rules = page.locator("ul.rules li")
    assert rules.count() == 6
    assert "10%" in rules.nth(1).inner_text() and "5가구" in rules.nth(0).inner_text()
    assert "수정" in rules.nth(5).inner_text()  # revised figures: checked with the version before
    page.locator("ul.rules").scroll_into_view_if_needed()
    _shot(page, "about-rules-phone.png", tmp_path)
    context.close()
