"""Generated requests (schemathesis, bodies included) against one prefix of an app's routes.

The board's and the surveys' fuzz tests share it: each sets up its own data and
session, then asserts on how many operations and cases were tried.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

EXAMPLES = 10


@dataclass
class Tried:
    paths: list[str] = field(default_factory=list)
    cases: int = 0


def fuzz_routes(
    app: FastAPI,
    client: TestClient,
    auth: dict[str, str],
    wanted: Callable[[str], bool],
) -> Tried:
    """Send EXAMPLES generated cases to every operation whose path is `wanted`.

    No case may make the server fail (5xx), and every error must be a problem document.
    """
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    tried = Tried()
    for result in schema.get_all_operations():
        operation = result.ok()
        if wanted(operation.path):
            _fuzz(client, operation, auth, tried)
            tried.paths.append(operation.path)
    return tried


def _fuzz(client: TestClient, operation, auth: dict[str, str], tried: Tried) -> None:  # type: ignore[no-untyped-def]
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def run(case) -> None:  # type: ignore[no-untyped-def]
        tried.cases += 1
        headers = {**(case.headers or {}), **auth}
        body = case.body if isinstance(case.body, dict | list) else None
        r = client.request(
            case.method, case.formatted_path, params=case.query, headers=headers, json=body
        )
        assert r.status_code < 500, (case.method, case.formatted_path, body, r.text[:500])
        if r.status_code >= 400:
            assert r.headers["content-type"] == "application/problem+json", r.text[:300]

    run()
