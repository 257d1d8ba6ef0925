"""schemathesis over the board's operations, with bodies, a resident's session and staff's
token: no generated request makes the server fail (5xx), and every error is a problem."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from api.civic.ratelimit import TokenBuckets
from telemetry.db import make_engine
from telemetry.db.migrate import upgrade
from tests.civic.board_api import ADMIN, board_app, residents
from tests.rollup import city

pytestmark = pytest.mark.timeout(300)
EXAMPLES = 10


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
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    tried, sent = [], [0]
    for result in schema.get_all_operations():
        operation = result.ok()
        if not operation.path.startswith("/v1/board") or operation.path == "/v1/board/redeem":
            continue
        headers = {"Authorization": f"Bearer {ADMIN}", "X-CSRF-Token": person.csrf or ""}
        _fuzz(person.client, operation, headers, sent)
        tried.append(operation.path)
    assert len(tried) >= 20
    assert sent[0] >= 5 * len(tried)


def _fuzz(client: TestClient, operation, auth: dict[str, str], sent: list[int]) -> None:  # type: ignore[no-untyped-def]
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def run(case) -> None:  # type: ignore[no-untyped-def]
        sent[0] += 1
        headers = {**(case.headers or {}), **auth}
        body = case.body if isinstance(case.body, dict | list) else None
        r = client.request(
            case.method, case.formatted_path, params=case.query, headers=headers, json=body
        )
        assert r.status_code < 500, (case.method, case.formatted_path, body, r.text[:500])
        if r.status_code >= 400:
            assert r.headers["content-type"] == "application/problem+json", r.text[:300]

    run()
