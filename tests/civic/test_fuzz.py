"""schemathesis over the board's operations, with bodies, a resident's session and staff's
token: no generated request makes the server fail (5xx), and every error is a problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.ratelimit import TokenBuckets
from telemetry.db import make_engine
from telemetry.db.migrate import upgrade
from tests.civic.board_api import ADMIN, board_app, residents
from tests.rollup import city
from tests.route_fuzz import fuzz_routes

pytestmark = pytest.mark.timeout(300)
UNFUZZED = {
    "/v1/board/redeem",
    "/v1/board/logout",
    "/v1/board/logout-everywhere",
    "/v1/board/me/stream",
}


def test_no_server_error_for_generated_board_requests(tmp_path: Path) -> None:
    # One engine is enough for fuzzing the routes; the suites cover both.
    url = f"sqlite:///{tmp_path / 'platform.sqlite'}"
    upgrade(url)
    app = board_app(make_engine(url), city.write_sites(tmp_path))
    for kind in ("resident", "address"):
        app.state.board_limits[kind] = TokenBuckets(1000.0, 10_000)
    (person,) = residents(app, 1)
    person.post("/v1/board/posts", {"kind": "question", "title": "Seed", "body": "b",
                                    "dong": "2914083000"})  # fmt: skip
    tried = fuzz_routes(
        app,
        person.client,
        {"Authorization": f"Bearer {ADMIN}", "X-CSRF-Token": person.csrf or ""},
        # Signing in or out would change whose session the rest runs under; the resident's
        # event stream ends only with its session (tests/trust covers these).
        lambda path: path.startswith("/v1/board") and path not in UNFUZZED,
    )
    assert len(tried.paths) >= 20
    assert tried.cases >= 5 * len(tried.paths)
