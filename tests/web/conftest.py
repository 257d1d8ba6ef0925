"""Fixtures of the portal's tests.

In-process page tests reuse the rolled-up test city of tests/api (real
InfluxDB, real rollup). Browser tests run the whole platform (simulators →
agents → Mosquitto → collector → InfluxDB → rollups → API with the portal,
the board and the surveys on a SQLite platform database), every stage its
own process, once per session, and drive Debian's chromium through playwright.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from devstack import InfluxServer, MosquittoServer, free_port
from devstack.browser import chromium_path
from devstack.demo import DEFAULT_CONFIG
from devstack.platform import Platform, local_api_config
from devstack.ports import shifted_config
from devstack.supervisor import PROJECT_ROOT
from tests.api.conftest import api_city  # noqa: F401 (fixture)
from tests.rollup.conftest import rollup_influx  # noqa: F401 (fixture)
from tests.support.waiting import wait_until

LIVE_DEADLINE_S = 150.0
ADMIN_TOKEN = "portal-admin-token"
SITE_TOKENS = {"munheung-apt": "munheung-manager-token", "pungam-lh-apt": "pungam-manager-token"}
AXE = PROJECT_ROOT / "api/web/frontend/node_modules/axe-core/axe.min.js"
# The portal's two ECharts bundles (api/web/frontend, built by scripts/web_assets.sh).
ECHARTS = tuple(
    PROJECT_ROOT / f"api/web/static/vendor/echarts-{b}.min.js" for b in ("map", "charts")
)


# 하남's district, withheld, would come back by subtraction from the city: one of these two
# dongs' districts is withheld with it. Which one is the cheaper pattern for the figures of
# the moment (the simulated day runs 30 times faster, so it changes within the hour).
EITHER = {"2917065600": "문흥1동", "2914083000": "풍암동"}


def is_figure(text: str) -> bool:
    """A table cell showing a number (not a withheld or no-data mark)."""
    return text.replace(",", "").replace(".", "").isdigit()


@dataclass
class Portal:
    base: str
    platform: Platform

    def live(self) -> dict:
        return httpx.get(f"{self.base}/v1/city/live", timeout=10).json()


def _has_rates(base: str) -> bool:
    try:
        body = httpx.get(f"{base}/v1/city/live", timeout=5).json()
    except (httpx.HTTPError, ValueError):
        return False
    return any(u.get("rate") for u in body.get("utilities", []))


@pytest.fixture(scope="session")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    missing = [str(p) for p in (AXE, *ECHARTS) if not p.exists()]
    if chromium_path() is None or missing:
        pytest.fail(f"browser tests need chromium and scripts/web_assets.sh; missing: {missing}")
    root = tmp_path_factory.mktemp("portal")
    influx = InfluxServer(root / "influx").start()
    broker = MosquittoServer(root / "mosquitto").start()
    for db in ("energy", "energy_public"):
        influx.create_database(db)
    config = shifted_config(PROJECT_ROOT / DEFAULT_CONFIG, root / "sites.yaml")
    platform = Platform(
        root,
        config,
        broker.url,
        influx.url,
        speed=30,
        api_port=free_port(),
        rollup_interval_s=5,
        rollup_verbose=True,
        # The board and the surveys: a platform database, operators' and managers' tokens.
        extra_env={
            "ENERGY_API_SIGNING_KEY": "portal-test-signing-key-0123456789",
            "ENERGY_API_ADMIN_TOKEN": ADMIN_TOKEN,
            "ENERGY_API_SITE_TOKENS": ",".join(f"{s}={t}" for s, t in SITE_TOKENS.items()),
        },
        db_url=f"sqlite:///{root / 'platform.sqlite'}",
        api_config=local_api_config(root / "api.yaml", support_threshold=2),
    )
    base = f"http://127.0.0.1:{platform.api_port}"
    try:
        platform.start()
        wait_until(
            lambda: _has_rates(base),
            LIVE_DEADLINE_S,
            "live city figures",
            interval=1.0,
            logs=lambda: "\n".join(f"[{c.name}]\n{c.log_tail()}" for c in platform.children),
            give_up=lambda: [f"{c.name} exited" for c in platform.children if not c.running],
        )
        yield Portal(base, platform)
    finally:
        platform.stop()
        broker.stop()
        influx.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> object:
    """A failed test of the running portal shows what its processes last said (the
    rollup's passes above all): a failure seen once in CI can then be read, not guessed."""
    report = yield
    portal = getattr(item, "funcargs", {}).get("portal")
    if report.failed and isinstance(portal, Portal):
        for child in portal.platform.children:
            if child.name in ("rollup", "api", "collector"):
                report.sections.append((f"portal {child.name} log", child.log_tail(40)))
    return report


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    """One chromium per session: playwright's sync API cannot start a second
    instance while one runs (it reports an asyncio loop already running)."""
    from playwright.sync_api import sync_playwright

    from devstack.browser import launch

    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def browser(portal: Portal, chromium: object) -> object:
    """The session's chromium, once the whole-platform portal is up."""
    return chromium
