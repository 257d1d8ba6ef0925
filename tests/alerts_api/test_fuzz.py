"""Generated requests (schemathesis, bodies included) never make an alert route fail (5xx)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.alerts_api.conftest import ADMIN_H, APT_H
from tests.route_fuzz import fuzz_routes

pytestmark = pytest.mark.timeout(300)


def _alert_route(path: str) -> bool:
    return path.startswith(("/v1/alerts", "/v1/alert-silences"))


@pytest.mark.parametrize("auth", [ADMIN_H, APT_H], ids=["operator", "facility"])
def test_no_server_error_for_generated_requests(
    client: TestClient, stocked: dict[str, int], auth: dict[str, str]
) -> None:
    tried = fuzz_routes(client.app, client, auth, _alert_route)  # type: ignore[arg-type]
    assert len(tried.paths) == 6  # list, one, ack; silences list, add, remove
    assert tried.cases >= 5 * len(tried.paths)
