"""Generated requests (schemathesis, bodies included) never make a survey route fail (5xx).

The cases go to an app whose database holds an open round answered by one
resident, with the resident's session and the operator's token, so inputs
reach the code behind authentication.
"""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine

from api.ratelimit import TokenBuckets
from civic.board.codes import ParticipationCodes
from civic.surveys.service import Surveys
from tests.route_fuzz import fuzz_routes
from tests.support.tenancy import lived
from tests.surveys.conftest import ADMIN, DONGS, Clock, answers, open_round, signed_in

pytestmark = pytest.mark.timeout(300)


def test_no_server_error_for_generated_requests(
    app: FastAPI, engine: Engine, surveys: Surveys, codes: ParticipationCodes, clock: Clock
) -> None:
    r = open_round(surveys, clock)
    [issued] = codes.issue(
        "apt-a", DONGS["apt-a"], lived(codes.engine, "apt-a", ["101-1"]), batch="b"
    )
    resident = codes.redeem(issued.code)
    client = signed_in(app, engine, resident.id)
    for kind in ("resident", "address"):  # inputs reach the routes, not the rate limit
        app.state.board_limits[kind] = TokenBuckets(1000.0, 1000)
    client.post(f"/v1/surveys/rounds/{r.id}/response", json={"answers": answers()})
    tried = fuzz_routes(
        app,
        client,
        {"Authorization": f"Bearer {ADMIN}"},
        lambda path: path.startswith("/v1/surveys"),
    )
    assert len(tried.paths) >= 15
    assert tried.cases >= 5 * len(tried.paths)
