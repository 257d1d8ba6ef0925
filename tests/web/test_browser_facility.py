"""The facility page and the operators' page in headless Chromium against the real platform:
simulators (with a fault control file) → agent → Mosquitto → collector → InfluxDB → rollup →
API, and `python -m alerts` beside them, for one site (munheung-apt, four meters).

- A facility manager signs in: every meter of the site has its panel; the values change
  with the next reading without a reload; a meter whose simulator stops answering (the
  `timeout` fault) is marked stale (text, triangle, dashed border) within the staleness
  window; an alert raised by the alerts process is listed and acknowledged on the page.
- A manager of another site gets 403 for this site's page, stream and CSV.
- An operator sees the agent online, and a malformed message on its topic in its row's
  rejected messages by reason (the collector's per-agent figures, over SSE); stopping the agent turns its row offline, restarting
  it brings the row back online, without a reload; killing it (no goodbye) turns the row
  offline through the broker's last will.
- axe-core finds no serious or critical violation on either page; screenshots at desktop
  and phone width ($PORTAL_SCREENSHOTS=docs/screenshots to refresh the committed ones).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from devstack import InfluxServer, MosquittoServer, free_port
from devstack.browser import chromium_path
from devstack.platform import Platform, local_api_config
from devstack.supervisor import Child
from simulators.control import write_faults
from telemetry.db.migrate import upgrade
from telemetry.influxql import InfluxQL
from telemetry.topics import readings_topic
from tests.alerts.platform import SITE, Running, one_site_config, start, stop_alerts
from tests.collector.helpers import Publisher
from tests.support.waiting import wait_until
from tests.web.civic_browser import STAFF_PASSWORD, axe_serious, browser_context, screenshots
from tests.web.conftest import AXE

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

AGENT = "munheung-gw"
METERS = {"main-elec", "gas-main", "water-main", "heat-main"}
FAULTY = "water-main"  # polled every 10 s: stale after max(120 s, 3 polls) = 120 s
STALE_WINDOW_S = 120.0
# What may pass beyond the window before the page says so: the last good poll's age at the
# fault, the SSE interval (5 s), the simulators' and agent's retry backoff.
STALE_MARGIN_S = 60.0
KEEPALIVE_S = 30  # the agent's MQTT keep-alive (edge_agent/mqtt_link.py)
MANAGER, OTHER_MANAGER, OPERATOR = "munheung-fm", "hanam-fm", "ops-lee"
# Every electricity meter breaks it at once, so the alerts process raises one alert.
POWER_ON = {
    "rules": [
        {"id": "power-on", "kind": "threshold", "severity": "warning", "utility": "electricity",
         "above": 0, "window": "15m", "pending": "0s", "nodata": "ok"}
    ]
}  # fmt: skip


@dataclass
class Plant:
    base: str
    platform: Platform
    run: Running

    def agent(self) -> Child:
        return next(c for c in self.platform.children if c.name == f"agent-{AGENT}")


@pytest.fixture(scope="module")
def plant(tmp_path_factory: pytest.TempPathFactory, chromium: object) -> Iterator[Plant]:
    """The platform (started once the session's chromium is; that fixture also marks every
    test here `integration`, left out of the fast run)."""
    if chromium_path() is None or not AXE.exists():
        pytest.fail("browser tests need chromium and scripts/web_assets.sh (axe-core)")
    root = tmp_path_factory.mktemp("plant")
    influx = InfluxServer(root / "influx").start()
    broker = MosquittoServer(root / "mosquitto").start()
    for db in ("energy", "energy_public"):
        influx.create_database(db)
    db_url = f"sqlite:///{root / 'platform.sqlite'}"
    upgrade(db_url)
    plat = Platform(
        root,
        one_site_config(root),
        broker.url,
        influx.url,
        speed=10,
        api_port=free_port(),
        rollup_interval_s=5,
        status_interval_s=2,
        extra_env={"ENERGY_API_SIGNING_KEY": "facility-browser-signing-key-0123456789"},
        db_url=db_url,
        api_config=local_api_config(root / "api.yaml"),
    )
    ql = InfluxQL(influx.url)
    control = root / "faults.json"
    run = Running(plat, ql, "energy", root, control)
    alerts = engine = None
    try:
        start(plat, control, [], [])
        plat.start_api()
        for name, role, sites in (
            (MANAGER, "facility_manager", (SITE,)),
            (OTHER_MANAGER, "facility_manager", ("hanam-ic",)),
            (OPERATOR, "operator", ()),
        ):
            done = plat.add_staff(name, (role,), STAFF_PASSWORD, sites)
            assert done.returncode == 0, done.stderr
        wait_until(run.all_meters_reported, 120, "readings of every meter", logs=run.logs)
        alerts, engine = run.start_alerts(POWER_ON)
        yield Plant(f"http://127.0.0.1:{plat.api_port}", plat, run)
    finally:
        if alerts is not None and engine is not None:
            stop_alerts(alerts, engine)
        plat.stop()
        ql.close()
        broker.stop()
        influx.stop()


def sign_in(page, name: str, next_path: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"/staff/signin?next={next_path}")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", STAFF_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()


def api_session(plant: Plant, name: str) -> httpx.Client:
    client = httpx.Client(base_url=plant.base, timeout=30)
    r = client.post("/v1/staff/signin", json={"name": name, "password": STAFF_PASSWORD})
    assert r.status_code == 200, r.text
    return client


def publish_garbage(plant: Plant) -> None:
    """One message on the agent's readings topic that is not JSON (the collector counts it
    under the agent, reason bad_json)."""
    url = urlsplit(plant.platform.mqtt_url)
    pub = Publisher(url.hostname or "127.0.0.1", url.port or 1883, "browser-test-garbage")
    try:
        pub.publish(readings_topic(SITE, AGENT), b"not json")
    finally:
        pub.close()


def panel(meter: str) -> str:
    return f'.meter-panel[data-meter="{meter}"]'


def test_the_site_page_live_stale_and_alerts(
    plant: Plant, chromium: object, tmp_path: Path
) -> None:
    context, page = browser_context(chromium, plant)  # type: ignore[arg-type]
    try:
        sign_in(page, MANAGER, f"/facility/{SITE}")
        assert page.url.endswith(f"/facility/{SITE}")
        shown = set(
            page.eval_on_selector_all(".meter-panel", "els => els.map(e => e.dataset.meter)")
        )
        assert shown == METERS
        # the next readings change every meter's values without a reload
        first = {m: page.inner_text(f'{panel(m)} [data-fig="values"]') for m in METERS}
        page.wait_for_function(
            """before => Object.entries(before).every(([meter, text]) => document.querySelector(
                `.meter-panel[data-meter="${meter}"] [data-fig="values"]`).innerText !== text)""",
            arg=first,
            timeout=90_000,
        )
        assert "수신 중" in page.inner_text(f'{panel("main-elec")} [data-fig="status"]')
        # the alert the alerts process raised is listed; acknowledged with a note
        wait_until(
            lambda: page.reload() is not None and page.locator("[data-alert]").count() > 0,
            120, "the power-on alert on the page", interval=3.0, logs=plant.run.logs,
        )  # fmt: skip
        item = page.locator("[data-alert]").first
        assert item.get_attribute("data-state") == "active_unacked"
        # a second tab open on the page is told by its stream when the alerts change
        other_tab = context.new_page()
        other_tab.goto(f"/facility/{SITE}")
        assert other_tab.locator("#fac-alerts-changed").is_hidden()
        item.locator("input[name=note]").fill("계량기 점검 완료")
        item.locator("button[type=submit]").click()
        page.wait_for_load_state()
        acked = page.locator("[data-alert]").first
        assert acked.get_attribute("data-state") == "active_acked"
        assert "계량기 점검 완료" in acked.inner_text()
        other_tab.wait_for_selector("#fac-alerts-changed:not([hidden])", timeout=30_000)
        other_tab.close()
        assert not page.csp_errors  # type: ignore[attr-defined]
        screenshots(page, "facility-site", tmp_path)
        assert axe_serious(chromium, plant, f"/facility/{SITE}", context.cookies()) == []
        # a meter whose simulator stops answering is marked stale within the window
        write_faults(plant.run.control, {f"{SITE}/{FAULTY}": "timeout"})
        page.wait_for_selector(
            f"{panel(FAULTY)}.is-stale", timeout=(STALE_WINDOW_S + STALE_MARGIN_S) * 1000
        )
        status = page.inner_text(f'{panel(FAULTY)} [data-fig="status"]')
        assert "▲" in status and "끊김" in status
        assert "has-stale" in (page.get_attribute("#fac-summary", "class") or "")
        # screen readers hear it once, in the polite live region (the panels are not live)
        assert FAULTY in page.inner_text("#fac-live")
        assert page.locator(".meter-panel[aria-live]").count() == 0
        screenshots(page, "facility-site-stale", tmp_path)
        write_faults(plant.run.control, {})
    finally:
        context.close()


def test_another_sites_manager_gets_nothing(plant: Plant) -> None:
    other = api_session(plant, OTHER_MANAGER)
    for path in (
        f"/facility/{SITE}",
        f"/facility/{SITE}/stream?max_events=1",
        f"/facility/{SITE}/readings.csv?meter=main-elec",
    ):
        r = other.get(path, follow_redirects=False)
        assert r.status_code == 403, (path, r.status_code)
        assert "main-elec" not in r.text


def test_the_operators_page_follows_an_agent_stopped_and_restarted(
    plant: Plant, chromium: object, tmp_path: Path
) -> None:
    context, page = browser_context(chromium, plant)  # type: ignore[arg-type]
    row = f'tr[data-agent="{AGENT}"]'
    try:
        sign_in(page, OPERATOR, "/operations")
        assert page.url.endswith("/operations")
        page.wait_for_selector(f"{row}:not(.is-down)", timeout=60_000)
        assert "온라인" in page.inner_text(f'{row} [data-fig="state"]')
        # a malformed batch on the agent's topic shows in its row, by reason, without a reload
        publish_garbage(plant)
        page.wait_for_function(
            "sel => document.querySelector(sel).textContent === 'bad_json 1'",
            arg=f'{row} [data-fig="rejected"]',
            timeout=60_000,
        )
        # and in the collectors' totals by reason, from the same stream
        totals = page.inner_text("#rejected tbody")
        assert "bad_json" in totals and "1" in totals, totals
        screenshots(page, "operations", tmp_path)
        assert axe_serious(chromium, plant, "/operations", context.cookies()) == []
        agent = plant.agent()
        agent.signal(signal.SIGTERM)  # a clean stop: the agent says offline itself
        assert agent.wait(30)
        # its window: the status interval (2 s) and the SSE interval (5 s), with room
        page.wait_for_selector(f"{row}.is-down", timeout=60_000)
        assert "오프라인" in page.inner_text(f'{row} [data-fig="state"]')
        assert AGENT in page.inner_text("#ops-live")
        screenshots(page, "operations-agent-down", tmp_path)
        agent.start(plant.platform.env)
        page.wait_for_selector(f"{row}:not(.is-down)", timeout=90_000)
        assert "온라인" in page.inner_text(f'{row} [data-fig="state"]')
        # killed, it says nothing: the broker's last will (1.5 keep-alives, 30 s each) does
        agent.kill()
        page.wait_for_selector(f"{row}.is-down", timeout=(1.5 * KEEPALIVE_S + 45) * 1000)
        assert "오프라인" in page.inner_text(f'{row} [data-fig="state"]')
        agent.start(plant.platform.env)
        page.wait_for_selector(f"{row}:not(.is-down)", timeout=90_000)
        assert not page.csp_errors  # type: ignore[attr-defined]
    finally:
        context.close()
