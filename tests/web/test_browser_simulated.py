"""The simulated-data note in a real browser: on a phone and a desktop, over the real API
process and a rolled city whose sites are partly simulated, every page shows the note
at the top of its content, inside the viewport, readable; screenshots of it (the city
page, desktop and 360 px) go to $PORTAL_SCREENSHOTS when set."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devstack import InfluxServer
from tests.support.served_api import ServedApi, serving
from tests.web.civic_browser import screenshots
from tests.web.test_simulated_labels import EMBEDS, PAGES, SIMULATED, _flag

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def flagged(influx: InfluxServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApi]:
    with serving(influx, tmp_path_factory.mktemp("simulated-api"), _flag) as served:
        yield served


@pytest.mark.parametrize("width", [360, 1280])
def test_the_note_is_seen_first_on_every_page(  # type: ignore[no-untyped-def]
    chromium, flagged: ServedApi, width: int, tmp_path
) -> None:
    context = chromium.new_context(base_url=flagged.base, viewport={"width": width,
                                                                    "height": 800})  # fmt: skip
    page = context.new_page()
    try:
        for path in (*PAGES, *EMBEDS):
            page.goto(path)
            note = page.locator("#simulated-note")
            assert note.is_visible(), path
            box = note.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, path
            assert box["y"] < 400, (path, box)  # before the figures, on the first screen
            assert f"{len(SIMULATED)}곳은" in note.inner_text(), path
        page.goto("/")
        if width == 1280:
            screenshots(page, "simulated-note", tmp_path / "shots")
    finally:
        context.close()
