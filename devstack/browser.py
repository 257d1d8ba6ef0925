"""Headless Chromium for the portal's browser tests, screenshots and page-weight bench.

Debian's `chromium` driven by the `playwright` package: playwright's own
browser download is never used (the machines that run the tests may have no
internet).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

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
