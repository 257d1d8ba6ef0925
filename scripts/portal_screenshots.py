"""Screenshots of the portal for the README (desktop and a 360 px phone).

    python scripts/portal_screenshots.py --base http://127.0.0.1:8000 [--out docs/screenshots]

Run against the demo (scripts/demo.sh) after a few minutes, so that the
charts have some hours to show. Uses Debian's chromium (devstack.browser).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from devstack.browser import launch

PAGES = {"city": "/", "map": "/map", "dong": "/dongs/2917065600?every=hour"}
SIZES = {"desktop": (1280, 900), "phone": (360, 740)}


def main(
    base: Annotated[str, typer.Option(help="the portal's base URL")],
    out: Annotated[Path, typer.Option(help="where the PNG files go")] = Path("docs/screenshots"),
) -> None:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = launch(playwright)
        for size, (width, height) in SIZES.items():
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            for name, path in PAGES.items():
                page.goto(base + path, wait_until="load")
                if page.locator(".chart").count():
                    page.wait_for_selector(".chart[data-ready=true] canvas", timeout=30_000)
                    page.wait_for_timeout(1200)  # the chart's entry animation
                target = out / f"{name}-{size}.png"
                # The map's page ends in a table of all 96 dongs: the first screen is enough.
                page.screenshot(path=str(target), full_page=name != "map")
                print(target)
            context.close()
        browser.close()


if __name__ == "__main__":
    typer.run(main)
