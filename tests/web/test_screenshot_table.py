"""The README's screenshot table: every committed screenshot is linked and every link is a
committed PNG at its width (desktop 1280 px, phone 360 px), the staff pages of issue 29
(the site page and the operators' page) among them. The browser tests take them
(tests/web/civic_browser.py `screenshots`); this checks what was committed."""

from __future__ import annotations

import re
import struct
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "docs" / "screenshots"
WIDTHS = {"desktop": 1280, "phone": 360}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def linked() -> set[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    return set(re.findall(r"\(docs/screenshots/([a-z0-9-]+\.png)\)", readme))


def png_width(path: Path) -> int:
    head = path.read_bytes()[:24]
    assert head[:8] == PNG_SIGNATURE, path.name
    return int(struct.unpack(">I", head[16:20])[0])


def test_every_screenshot_is_linked_and_every_link_is_committed() -> None:
    committed = {p.name for p in SHOTS.glob("*.png")}
    assert linked() == committed


def test_each_screenshot_has_its_width() -> None:
    for name in linked():
        kind = name.removesuffix(".png").rsplit("-", 1)[1]
        assert png_width(SHOTS / name) == WIDTHS[kind], name


def test_the_staff_pages_are_there_at_both_widths() -> None:
    for page in ("facility-site", "facility-site-stale", "operations", "operations-agent-down"):
        assert {f"{page}-desktop.png", f"{page}-phone.png"} <= linked(), page
