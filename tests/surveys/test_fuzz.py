"""Generated requests (schemathesis, bodies included) never make a survey route fail (5xx).

The cases go to an app whose database holds an open round answered by one
resident, with the resident's session and the operator's token, so inputs
reach the code behind authentication.
"""

from __future__ import annotations

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from sqlalchemy import Engine

from api.civic.codes import ParticipationCodes
from api.civic.ratelimit import TokenBuckets
from api.civic.surveys import Surveys
from tests.surveys.conftest import ADMIN, DONGS, Clock, answers, open_round, signed_in

pytestmark = pytest.mark.timeout(300)
EXAMPLES = 10


def test_no_server_error_for_generated_requests(
    app: FastAPI, engine: Engine, surveys: Surveys, codes: ParticipationCodes, clock: Clock
) -> None:
    r = open_round(surveys, clock)
    [issued] = codes.issue("apt-a", DONGS["apt-a"], ["101-1"], batch="b")
    resident = codes.redeem(issued.code)
    client = signed_in(app, engine, resident.id)
    for kind in ("resident", "address"):  # inputs reach the routes, not the rate limit
        app.state.board_limits[kind] = TokenBuckets(1000.0, 1000)
    client.post(f"/v1/surveys/rounds/{r.id}/response", json={"answers": answers()})
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    tried, sent = [], [0]
    for result in schema.get_all_operations():
        operation = result.ok()
        if not operation.path.startswith("/v1/surveys"):
            continue
        _fuzz(client, operation, sent)
        tried.append(operation.path)
    assert len(tried) >= 15
    assert sent[0] >= 5 * len(tried)


def _fuzz(client: TestClient, operation, sent: list[int]) -> None:  # type: ignore[no-untyped-def]
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def run(case) -> None:  # type: ignore[no-untyped-def]
        sent[0] += 1
        headers = {**(case.headers or {}), "Authorization": f"Bearer {ADMIN}"}
        body = case.body if isinstance(case.body, dict | list) else None
        r = client.request(
            case.method, case.formatted_path, params=case.query, headers=headers, json=body
        )
        assert r.status_code < 500, (case.method, case.formatted_path, body, r.text[:500])
        if r.status_code >= 400:
            assert r.headers["content-type"] == "application/problem+json", r.text[:300]

    run()
