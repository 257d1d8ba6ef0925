"""Helpers of the board's and the surveys' browser tests: tokens, codes, sessions, axe, screenshots.

Screenshots go to $PORTAL_SCREENSHOTS when set (docs/screenshots/ to refresh
the committed ones), else to the test's temporary directory.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import httpx

from devstack.screenshots import SIZES
from tests.web.chart_check import SPY
from tests.web.conftest import ADMIN_TOKEN, AXE, SITE_TOKENS, Portal

STAFF_PASSWORD = "portal staff password 2026"


def staff_account(portal: Portal, name: str, *roles: str) -> str:
    """A staff account on the portal's database (`python -m api staff add`), once; its name."""
    done = portal.platform.add_staff(name, roles, STAFF_PASSWORD)
    assert done.returncode == 0 or "exists already" in done.stderr, done.stderr
    return name


def staff(portal: Portal, name: str = "energy-policy") -> httpx.Client:
    """A staff member signed in over the API (moderator and survey administrator): the
    session cookie in the client's jar, its CSRF token sent with every request."""
    staff_account(portal, name, "moderator", "survey_admin")
    client = httpx.Client(base_url=portal.base, timeout=30)
    r = client.post("/v1/staff/signin", json={"name": name, "password": STAFF_PASSWORD})
    assert r.status_code == 200, r.text
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return client


def staff_sign_in(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Sign in on the staff sign-in page, as a person does."""
    page.goto("/staff/signin")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", STAFF_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()


def issue_codes(portal: Portal, site: str, households: list[str]) -> list[str]:
    """A site's manager issues participation codes through the API with the site's token (each
    unit's household moved in first, by the machines' token)."""
    for unit in households:
        moved = httpx.post(
            f"{portal.base}/v1/staff/tenancies/move-in",
            json={"site": site, "unit": unit, "date": "2024-01-01"},
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            timeout=30,
        )
        assert moved.status_code in (201, 409), moved.text
    r = httpx.post(
        f"{portal.base}/v1/board/codes",
        json={"site": site, "households": households},
        headers={"Authorization": f"Bearer {SITE_TOKENS[site]}"},
        timeout=30,
    )
    assert r.status_code == 201, r.text
    return [c["code"] for c in r.json()["codes"]]


def redeemed(portal: Portal, code: str) -> tuple[httpx.Client, str]:
    """A resident's session over the API (code tries are rate-limited per address: wait)."""
    client = httpx.Client(base_url=portal.base, timeout=30)
    for _ in range(20):
        r = client.post("/v1/board/redeem", json={"code": code})
        if r.status_code != 429:
            break
        time.sleep(float(r.headers.get("retry-after", "5")))
    assert r.status_code == 200, r.text
    token = r.json()["csrf_token"]
    client.headers["X-CSRF-Token"] = token
    return client, token


def session_cookies(portal: Portal, client: httpx.Client) -> list[dict[str, Any]]:
    """The client's cookies for a browser context (the same session in a browser)."""
    return [{"name": c.name, "value": c.value, "url": portal.base} for c in client.cookies.jar]


def axe_serious(browser, portal: Portal, path: str, cookies: list[dict[str, Any]]) -> list:  # type: ignore[no-untyped-def]
    """Serious and critical axe-core violations of a page (axe needs the CSP bypassed)."""
    context = browser.new_context(base_url=portal.base, bypass_csp=True)
    context.add_cookies(cookies)
    page = context.new_page()
    try:
        page.goto(path)
        if page.locator(".chart").count():
            page.wait_for_selector(".chart[data-ready=true] canvas", timeout=30_000)
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("async () => await axe.run(document)")
        assert result["passes"], "axe checked nothing"
        return [
            (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
    finally:
        context.close()


def screenshot_dir(fallback: Path) -> Path:
    """$PORTAL_SCREENSHOTS when set (docs/screenshots/ refreshes the committed ones)."""
    return Path(os.environ.get("PORTAL_SCREENSHOTS") or fallback)


def screenshots(page, name: str, fallback: Path) -> list[Path]:  # type: ignore[no-untyped-def]
    """The page at desktop and phone width, whole length, charts drawn."""
    out = screenshot_dir(fallback)
    out.mkdir(parents=True, exist_ok=True)
    taken = []
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        if page.locator(".chart[data-ready=true]").count():
            page.wait_for_timeout(1200)  # the chart's resize and entry animation
        target = out / f"{name}-{size}.png"
        page.screenshot(path=str(target), full_page=True)
        taken.append(target)
    page.set_viewport_size(dict(zip(("width", "height"), SIZES["desktop"], strict=True)))
    return taken


def browser_context(browser, portal: Portal):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=portal.base, locale="ko-KR")
    context.add_init_script(SPY)  # for charts_missing
    page = context.new_page()
    page.csp_errors = []  # type: ignore[attr-defined]
    page.on(
        "console", lambda m: "Content Security Policy" in m.text and page.csp_errors.append(m.text)
    )
    return context, page


def redeem_in_browser(page, code: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/board/redeem")
    page.fill("input[name=code]", code)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
