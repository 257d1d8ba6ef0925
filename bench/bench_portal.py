"""Portal page weight and time to first figures, in headless Debian chromium.

    python -m bench.bench_portal --base http://127.0.0.1:8000   # a running demo

For the city page, the map and a dong page, at a phone's width (360 px) with
the CPU slowed down (CDP, 4× by default) and, unless `--no-slow-network`, the
network of a slow 4G phone (CDP: 150 ms round trip, 1.6 Mbit/s down, 750
kbit/s up; Lighthouse's mobile figures): bytes over the wire (compressed
bodies plus headers) on a first visit with an empty cache, and on a second
visit in the same browser (the page itself fetched again; scripts, styles and
boundaries from the cache); the first contentful paint (the figures are in
the HTML) and, for pages with a chart, when the chart is drawn (its
`data-ready`), both from the start of the navigation.

Baseline, in the same run: the map and the dong page on a first visit with
the full ECharts build (`echarts/dist/echarts.min.js` of the installed
package) in place of the portal's own bundle, served gzip-compressed as the
API serves its static files by a small server of this bench (the browser's
request for the bundle goes there instead). Runs alternate the two builds.
Then, unless `--requests 0`, the server side of the map: p50/p99 of what a visitor's
map asks the server for (the map page with its 96 dongs' figures, today and this
month, and the dongs' ranking as JSON), over HTTP from this process, requests of
the kinds alternating; baseline in the same run: the city's live JSON
(`/v1/city/live`, five districts), with each p99's ratio to it. The map page's
dongs by status are counted from its rows: run against `scripts/demo.sh --city`
for the figures at 96 filled dongs.

Figures, not pass/fail.
"""

from __future__ import annotations

import gzip
import re
import statistics
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Annotated

import httpx
import typer

from bench.bench_api import percentile
from devstack.browser import launch, wire_bytes
from devstack.supervisor import PROJECT_ROOT

PAGES = {"city": "/", "map": "/map", "dong": "/dongs/2917065600"}
PHONE = {"width": 360, "height": 740}
SLOW_4G = {
    "offline": False,
    "latency": 150,
    "downloadThroughput": 1_600_000 / 8,
    "uploadThroughput": 750_000 / 8,
}
FULL_BUILD = PROJECT_ROOT / "api/web/frontend/node_modules/echarts/dist/echarts.min.js"
BUNDLES = "**/static/vendor/echarts-*.min.js"
# When the page's chart says it is drawn (data-ready), in the page's own clock.
READY_CLOCK = """
new MutationObserver((changes, observer) => {
  if (changes.some(c => c.target.dataset && c.target.dataset.ready === "true")) {
    window.__chartReady = performance.now();
    observer.disconnect();
  }
}).observe(document, {subtree: true, attributes: true, attributeFilter: ["data-ready"]});
"""
TIMES = """() => ({
  fcp: (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || null,
  chart: window.__chartReady || null })"""


@contextmanager
def _full_build_server() -> Iterator[str]:
    """The full ECharts build, gzip-compressed (level 9, as the API's middleware)."""
    body = gzip.compress(FULL_BUILD.read_bytes(), 9)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/javascript; charset=utf-8")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "public, max-age=86400")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/echarts.min.js"
    finally:
        server.shutdown()
        server.server_close()


def _visit(page, url: str) -> tuple[int, int, float | None, float | None]:  # type: ignore[no-untyped-def]
    """(bytes, requests, first contentful paint ms, chart drawn ms) of one navigation."""
    weight = wire_bytes(page)
    page.goto(url, wait_until="load")
    if page.locator(".chart").count():
        page.wait_for_selector(".chart[data-ready=true] canvas", timeout=60_000)
    page.wait_for_timeout(300)
    size, count = weight()
    times = page.evaluate(TIMES)
    return size, count, times["fcp"], times["chart"]


def _context(browser, slowdown: float, slow_network: bool):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=PHONE, locale="ko-KR")
    context.add_init_script(READY_CLOCK)
    page = context.new_page()
    session = context.new_cdp_session(page)
    session.send("Emulation.setCPUThrottlingRate", {"rate": slowdown})
    if slow_network:
        session.send("Network.enable")
        session.send("Network.emulateNetworkConditions", SLOW_4G)
    return context, page


# The map's data, server side; the first is the baseline.
API = {
    "city live JSON (baseline)": "/v1/city/live",
    "map page, today": "/map",
    "map page, this month": "/map?period=month",
    "dongs ranking JSON": "/v1/rankings/dongs",
}
_STATUS = re.compile(r'<tr data-dong="\d+"[^>]*data-status="([^"]*)"')


def _api_latency(base: str, requests: int) -> None:
    """p50/p99 per request kind, the kinds alternating; ratios to the baseline's p99."""
    timings: dict[str, list[float]] = defaultdict(list)
    with httpx.Client(base_url=base, timeout=60) as client:
        statuses = _STATUS.findall(client.get("/map").text)
        for path in API.values():  # warm-up
            client.get(path).raise_for_status()
        for _ in range(requests):
            for name, path in API.items():
                began = time.perf_counter()
                client.get(path).raise_for_status()
                timings[name].append((time.perf_counter() - began) * 1000)
    counts = ", ".join(f"{statuses.count(s)} {s}" for s in sorted(set(statuses)))
    print(
        f"\nThe map's data over HTTP, {requests} requests each; the map's {len(statuses)} dongs: {counts}"
    )
    base_p99 = percentile(timings[next(iter(API))], 0.99)
    for name, got in timings.items():
        p50, p99 = statistics.median(got), percentile(got, 0.99)
        print(
            f"  {name:26} p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  ({p99 / base_p99:.2f}× baseline p99)"
        )


def _range(values: list[float | None], fmt: str) -> str:
    got = sorted(v for v in values if v is not None)
    if not got:
        return "–"
    median = statistics.median(got)
    return f"{median:{fmt}} ({got[0]:{fmt}}–{got[-1]:{fmt}})" if len(got) > 1 else f"{median:{fmt}}"


def main(
    base: Annotated[str, typer.Option(help="the portal's base URL")],
    runs: Annotated[int, typer.Option(help="runs per page and build")] = 3,
    slowdown: Annotated[float, typer.Option(help="CPU throttling rate (CDP)")] = 4.0,
    slow_network: Annotated[bool, typer.Option(help="a slow 4G phone's network (CDP)")] = True,
    requests: Annotated[int, typer.Option(help="timed requests per kind of the map's data")] = 200,
) -> None:
    from playwright.sync_api import sync_playwright

    if not FULL_BUILD.exists():
        raise typer.BadParameter(f"{FULL_BUILD} is missing: run scripts/web_assets.sh")
    rows: dict[tuple[str, str, str], list[tuple[int, int, float | None, float | None]]]
    rows = defaultdict(list)
    with sync_playwright() as playwright, _full_build_server() as full_url:
        browser = launch(playwright)
        for _ in range(runs):
            for name, path in PAGES.items():
                # The portal as served: first visit, then again with the assets cached.
                context, page = _context(browser, slowdown, slow_network)
                rows[(name, "portal", "first")].append(_visit(page, base + path))
                rows[(name, "portal", "again")].append(_visit(page, base + path + "?visit=2"))
                context.close()
                if name == "city":
                    continue  # no chart library
                # Baseline: the same page with the full ECharts build (first visit;
                # routing turns the browser's cache off, so no second visit).
                context, page = _context(browser, slowdown, slow_network)
                page.route(BUNDLES, lambda route: route.continue_(url=full_url))
                rows[(name, "full", "first")].append(_visit(page, base + path))
                context.close()
        browser.close()
    network = "slow 4G (150 ms, 1.6 Mbit/s)" if slow_network else "loopback"
    print(
        f"{PHONE['width']} px wide, CPU slowed down {slowdown:g}×, network {network},"
        f" {runs} run(s): median (min–max)"
    )
    print(
        f"{'page':5} {'echarts':7} {'visit':6} {'bytes':>9} {'req':>3}  {'FCP ms':16} {'chart ms':16}"
    )
    for (name, build, visit), got in rows.items():
        size = int(statistics.median(r[0] for r in got))
        count = int(statistics.median(r[1] for r in got))
        fcp = _range([r[2] for r in got], ".0f")
        chart = _range([r[3] for r in got], ".0f")
        print(f"{name:5} {build:7} {visit:6} {size:9,d} {count:3d}  {fcp:16} {chart:16}")
    for name in ("map", "dong"):
        portal = statistics.median(r[0] for r in rows[(name, "portal", "first")])
        full = statistics.median(r[0] for r in rows[(name, "full", "first")])
        print(
            f"{name}: first visit {portal / 1000:.0f} KB with the portal's bundle,"
            f" {full / 1000:.0f} KB with the full build ({portal / full:.2f}×)"
        )
    if requests:
        _api_latency(base, requests)


if __name__ == "__main__":
    typer.run(main)
