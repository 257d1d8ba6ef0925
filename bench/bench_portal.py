"""Portal page weight and time to first figures, in headless Debian chromium.

    python -m bench.bench_portal --base http://127.0.0.1:8000   # a running demo

For the city page, the map and a dong page: bytes transferred (compressed
bodies plus headers) on a first visit with an empty cache, and on a second
visit in the same browser (the page itself fetched again; scripts, styles
and boundaries from the cache); time to
first figures (the first contentful paint: the figures are in the HTML) and,
for pages with a chart, until the chart is drawn. Figures, not pass/fail.
"""

from __future__ import annotations

import time
from typing import Annotated

import typer

from devstack.browser import launch

PAGES = {"city": "/", "map": "/map", "dong": "/dongs/2917065600"}
FCP = "() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || null"


def _visit(page, url: str) -> tuple[int, int, float | None, float | None]:  # type: ignore[no-untyped-def]
    """(bytes, requests, first contentful paint ms, chart drawn ms) of one navigation."""
    sizes: list[int] = []

    def finished(request) -> None:  # type: ignore[no-untyped-def]
        s = request.sizes()
        response = request.response()
        if response is not None and response.from_service_worker is False:
            sizes.append(s["responseBodySize"] + s["responseHeadersSize"])

    page.on("requestfinished", finished)
    start = time.monotonic()
    page.goto(url, wait_until="load")
    chart_ms = None
    if page.locator(".chart").count():
        page.wait_for_selector(".chart[data-ready=true] canvas", timeout=30_000)
        chart_ms = (time.monotonic() - start) * 1000
    page.wait_for_timeout(300)
    page.remove_listener("requestfinished", finished)
    return sum(sizes), len(sizes), page.evaluate(FCP), chart_ms


def main(base: Annotated[str, typer.Option(help="the portal's base URL")]) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        print(f"{'page':6} {'visit':6} {'bytes':>9} {'requests':>8} {'FCP ms':>7} {'chart ms':>8}")
        for name, path in PAGES.items():
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            for visit in ("first", "second"):
                # The second visit fetches the page itself again (a new URL), the rest from cache.
                url = base + path + ("?visit=2" if visit == "second" else "")
                size, count, fcp, chart = _visit(page, url)
                fcp_s = f"{fcp:7.0f}" if fcp else "      –"
                chart_s = f"{chart:8.0f}" if chart else "       –"
                print(f"{name:6} {visit:6} {size:9,d} {count:8d} {fcp_s} {chart_s}")
            context.close()
        browser.close()


if __name__ == "__main__":
    typer.run(main)
