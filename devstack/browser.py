"""Headless Chromium for the portal's browser tests, screenshots and page-weight bench.

Debian's `chromium` driven by the `playwright` package: playwright's own
browser download is never used (the machines that run the tests may have no
internet).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def chromium_path() -> Path | None:
    """Debian's chromium, if installed."""
    if CHROMIUM.exists():
        return CHROMIUM
    found = shutil.which("chromium")
    return Path(found) if found else None


def launch(playwright: Playwright) -> Browser:
    path = chromium_path()
    if path is None:
        raise RuntimeError("chromium is not installed (Debian: apt-get install chromium)")
    return playwright.chromium.launch(executable_path=str(path), args=FLAGS, headless=True)


def wire_bytes(page: Page) -> Callable[[], tuple[int, int]]:
    """Counts what the page's requests bring over the wire from now on.

    Returns a function giving (bytes, requests) so far: bytes as received
    (compressed bodies plus headers, CDP `encodedDataLength`, the figure of
    the browser's Network panel), requests that got at least one byte (a
    response from the browser's cache counts none).
    """
    session = page.context.new_cdp_session(page)
    sizes: dict[str, int] = {}
    session.on(
        "Network.loadingFinished",
        lambda e: sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])),
    )
    session.send("Network.enable")

    def totals() -> tuple[int, int]:
        received = [n for n in sizes.values() if n > 0]
        return sum(received), len(received)

    return totals
