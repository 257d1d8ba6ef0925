"""A household's own page in headless Chromium against the API process and a real InfluxDB.

The InfluxDB holds the monthly rollup (`meter_consumption_1mo`) of a few
households in exactly the format the rollup writes (tests/households/household_city):
metered electricity, Green Button gas, water bills straddling months, an
enrolment with twelve baseline months, similar households passing k for
electricity and not for gas. The page must show the months, the savings and
the CO2e the JSON route gives, keep the token to itself, and pass axe.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

from devstack import InfluxServer, free_port
from devstack.browser import chromium_path
from devstack.platform import Platform, local_api_config
from stores.timewin import KST
from telemetry.influx_schema import rollup_bucket
from tests.households import household_city
from tests.households.household_city import KEY, HouseholdCity
from tests.rollup.city import write_points
from tests.support.links import household_link
from tests.support.waiting import wait_until
from tests.web.chart_check import charts_missing
from tests.web.civic_browser import axe_serious, browser_context, screenshots
from tests.web.conftest import AXE, ECHARTS

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


@dataclass
class Homes:
    base: str  # what civic_browser's helpers call `portal.base`
    city: HouseholdCity

    def report(self, household: str) -> dict:  # type: ignore[type-arg]
        token = household_link(household, KEY)
        r = httpx.get(f"{self.base}/v1/household/months", params={"token": token}, timeout=30)
        assert r.status_code == 200, r.text
        return r.json()


def _api_config(dest: Path) -> Path:
    local_api_config(dest)
    data = yaml.safe_load(dest.read_text(encoding="utf-8"))
    data["privacy_k"] = household_city.K
    dest.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return dest


@pytest.fixture(scope="module")
def homes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Homes]:
    missing = [str(p) for p in (AXE, *ECHARTS) if not p.exists()]
    if chromium_path() is None or missing:
        pytest.fail(f"browser tests need chromium and scripts/web_assets.sh; missing: {missing}")
    root = tmp_path_factory.mktemp("homes")
    c, points = household_city.build(root, dt.datetime.now(KST).date())
    influx = InfluxServer(root / "influx").start()
    for db in ("energy", "energy_public"):
        influx.create_database(db)
    write_points(
        influx.url, rollup_bucket("energy"), points
    )  # the stored monthly rollup the page reads
    platform = Platform(
        root,
        c.sites,
        "mqtt://127.0.0.1:9",  # no broker: only the API runs
        influx.url,
        api_port=free_port(),
        extra_env={"ENERGY_API_SIGNING_KEY": KEY},
        db_url=f"sqlite:///{root / 'platform.sqlite'}",
        api_config=_api_config(root / "api.yaml"),
    )
    base = f"http://127.0.0.1:{platform.api_port}"
    try:
        platform.start_api()

        def api_up() -> bool:
            try:
                return httpx.get(f"{base}/v1/districts", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(
            api_up,
            60,
            "the API to start",
            interval=0.3,
            logs=lambda: "\n".join(ch.log_tail() for ch in platform.children),
            give_up=lambda: [f"{ch.name} exited" for ch in platform.exited()],
        )
        yield Homes(base, c)
    finally:
        platform.stop()
        influx.stop()


@pytest.fixture(scope="module")
def browser(homes: Homes, chromium: object) -> object:
    """The session's chromium (tests/web/conftest.py), for this module's own API."""
    return chromium


def _cells(page, table: str) -> list[list[str]]:  # type: ignore[no-untyped-def]
    return page.eval_on_selector_all(
        f"#{table} tbody tr",
        "rows => rows.map(r => [...r.querySelectorAll('th, td')].map(c => c.innerText.trim()))",
    )


def _num(value: float) -> str:
    return f"{value:,.1f}"


def _near(shown: list[str], values: list[float]) -> bool:
    """The page's one-decimal figures against the route's (rounded once more in JSON)."""
    return len(shown) == len(values) and all(
        abs(float(a.replace(",", "")) - b) <= 0.051 for a, b in zip(shown, values, strict=True)
    )


def test_the_household_sees_its_months_savings_and_co2e(homes: Homes, browser, tmp_path) -> None:  # type: ignore[no-untyped-def]
    want = homes.report("kim-0001")
    token = household_link("kim-0001", KEY)
    context, page = browser_context(browser, homes)
    referers: list[str | None] = []
    page.on("request", lambda req: referers.append(req.headers.get("referer")))
    try:
        page.goto(f"/household?token={token}")
        page.wait_for_function(
            "document.querySelectorAll('.chart.household[data-ready=true] canvas').length === 3"
        )
        assert charts_missing(page) == [[], [], []]  # bars, the median's line, markLine
        assert page.locator("h1").inner_text() == "우리 집 에너지"
        assert "그린 리모델링" in page.locator("#hh-enrolment").inner_text()
        for u in want["utilities"]:
            uid, s = u["utility"], u["savings"]
            rows = _cells(page, f"hh-{uid}-table")
            # Months, figures and CO2e as the JSON route gives them; source and apportioned marks.
            assert [r[0].split()[0] for r in rows] == [m["month"] for m in u["months"]]
            assert _near([r[1] for r in rows], [m["consumption"] for m in u["months"]])
            assert _near([r[3] for r in rows], [m["co2e_kg"] for m in u["months"]])
            assert [("나눔" in r[2]) for r in rows] == [m["apportioned"] for m in u["months"]]
            sources = {"meter": "계량기", "interval": "그린버튼", "bill": "고지서"}
            assert all(sources[m["source"]] in r[2] for r, m in zip(rows, u["months"], strict=True))
            savings = page.locator(f"#hh-{uid}-savings").inner_text()
            assert f"({abs(s['savings_pct']):.1f}%) 적게" in savings, savings
            assert "kg CO2e" in savings
            assert (
                f"참여 전 12개월({s['baseline_months'][0]} – {s['baseline_months'][-1]})" in savings
            )
        caption = page.locator("#hh-summary caption").inner_text()
        assert f"{want['first_month']} – {want['last_month']}" in caption
        assert want["last_month"] == f"{homes.city.today:%Y-%m}"
        summary = _cells(page, "hh-summary")
        assert _near([r[2] for r in summary], [u["co2e_kg"] for u in want["utilities"]])
        avoided = [u["savings"]["co2e_avoided_kg"] for u in want["utilities"]]
        assert _near([r[4] for r in summary], avoided)
        peers = {u: page.locator(f"#hh-{u}-peers").inner_text() for u in ("electricity", "gas")}
        assert "3가구" in peers["electricity"] and "비교하지 않습니다" in peers["gas"]
        assert page.locator("#hh-electricity-table thead th").count() == 5  # with the median
        assert page.locator("#hh-gas-table thead th").count() == 4  # without
        # Nothing the page loaded was told where it came from (the URL holds the token).
        assert len(referers) >= 3 and not any(referers), referers
        assert not page.csp_errors
        shots = screenshots(page, "household", tmp_path)
        assert all(p.stat().st_size > 10_000 for p in shots)
        # English, by the page's own switch; other links never carry the token.
        hrefs = page.eval_on_selector_all("a[href]", "as => as.map(a => a.getAttribute('href'))")
        assert [h for h in hrefs if token in h] == [f"/household?token={token}&lang=en"]
        page.click(f"a[href='/household?token={token}&lang=en']")
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == "Our home's energy"
        assert "(10.0%) less than" in page.locator("#hh-electricity-savings").inner_text()
    finally:
        context.close()
    assert axe_serious(browser, homes, f"/household?token={token}", []) == []


def test_no_enrolment_too_few_peers_and_a_wrong_link(homes: Homes, browser) -> None:  # type: ignore[no-untyped-def]
    context, page = browser_context(browser, homes)
    try:
        page.goto(f"/household?token={household_link('park-0002', KEY)}&lang=en")
        page.wait_for_selector(".chart.household[data-ready=true] canvas")
        assert "no programme enrolment" in page.locator("#hh-enrolment").inner_text()
        assert (
            "Fewer than 3 similar households" in page.locator("#hh-electricity-peers").inner_text()
        )
        rows = _cells(page, "hh-electricity-table")
        assert rows and {r[1] for r in rows} == {"150.0"}
        response = page.goto("/household?token=park-0002.forged&lang=en")
        assert response.status == 401
        assert "cannot be verified" in page.locator("h1").inner_text()
    finally:
        context.close()
