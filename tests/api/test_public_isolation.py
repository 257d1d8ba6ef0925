"""No public route reads the private bucket: structurally and by observation."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import api
from tests.api.conftest import ApiCity, RecordingQL, build_app
from tests.rollup import city

pytestmark = pytest.mark.timeout(120)


def _public_paths(client: TestClient, c) -> list[str]:  # type: ignore[no-untyped-def]
    schema = client.get("/openapi.json").json()
    paths = []
    for path, ops in schema["paths"].items():
        # Private views, and the board, surveys and alerts (records in the platform
        # database, with access tests of their own in tests/civic, tests/surveys
        # and tests/alerts_api; staff routes theirs in tests/staff and tests/tenancy).
        private = (
            "/v1/facility", "/v1/household", "/v1/admin", "/v1/board", "/v1/surveys",
            "/v1/alerts", "/v1/alert-silences", "/v1/staff",
        )  # fmt: skip
        if not path.startswith(private):
            assert "get" in ops
            paths.append(
                path.replace("{district}", "29200")
                .replace("{dong}", "2920064000")
                .replace("{building_type}", "industrial")
            )
    return paths


# The citizens' portal (HTML, not in the OpenAPI document): public data only, like /v1.
PORTAL_PATHS = [
    "/",
    "/map",
    "/map?utility=gas&period=month",
    "/about",
    "/building-types?period=day",
    "/districts/29200",
    "/districts/29200?every=hour",
    "/dongs/2920064000",
    "/dongs/2920064000?every=month&utility=solar",
    "/geo/dongs.geojson",
    "/embed/city",
    "/embed/districts/29200",
    "/embed/dongs/2920064000",
]


def _query(path: str) -> dict | None:
    # None, not {}: an empty params mapping would drop the path's own query string.
    return {"max_events": 1} if path.endswith("/stream") else None


def test_public_routes_query_only_the_public_database(api_city: ApiCity) -> None:
    api_city.public_ql.databases.clear()
    api_city.private_ql.databases.clear()
    paths = _public_paths(api_city.client, api_city.city)
    assert len(paths) >= 10
    for path in paths + PORTAL_PATHS:
        r = api_city.client.get(path, params=_query(path))
        assert r.status_code == 200, (path, r.text)
    assert api_city.private_ql.databases == []
    assert set(api_city.public_ql.databases) == {api_city.city.public}


def test_public_routes_work_with_no_private_bucket_at_all(api_city: ApiCity) -> None:
    """Private store pointed at a closed port: every public route still answers from public data."""
    c = api_city.city
    private = RecordingQL("http://127.0.0.1:9", timeout_s=1)
    app = build_app(c, RecordingQL(c.url), private)
    with TestClient(app) as client:
        live = client.get("/v1/city/live").json()
        assert {u["utility"]: u for u in live["utilities"]}["electricity"]["rate"] > 0
        for path in _public_paths(client, c) + PORTAL_PATHS:
            assert client.get(path, params=_query(path)).status_code == 200, path
        # ...while a private route, which needs it, reports the store as unavailable.
        r = client.get(
            "/v1/facility/sites/ind-1/meters", headers={"Authorization": "Bearer ind-1-secret"}
        )
        assert r.status_code == 503 and r.headers["content-type"] == "application/problem+json"
    assert private.databases == [c.raw]


def test_public_modules_never_import_the_private_store() -> None:
    root = Path(api.__file__).parent
    public = (
        "routes/public.py",
        "routes/stream.py",
        "routes/opendata.py",
        "../stores/public_data.py",
        "../stores/public_totals.py",
    )
    # The household's own page (web/household_page.py) is private by design: it answers
    # only with the household's signed token and reads its rollups; tests/web covers it.
    # The facility pages (web/facility_pages.py) are staff's: a staff session that opens the
    # site, the operations page (web/operations_page.py) the operator role
    # (tests/facility/test_access.py).
    private_pages = {"web/household_page.py", "web/facility_pages.py", "web/operations_page.py"}
    portal = [
        name
        for name in (str(p.relative_to(root)) for p in (root / "web").glob("*.py"))
        if name not in private_pages
    ]
    assert "web/routes.py" in portal and "web/views.py" in portal
    for name in (*public, *portal):
        tree = ast.parse((root / name).read_text(encoding="utf-8"))
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
        assert not names & {"PrivateStore", "private_store", "private_data"}, name


def test_suppressed_group_is_nowhere_in_the_public_bucket(api_city: ApiCity) -> None:
    c = api_city.city
    for key in ("district", "dong", "building_type"):
        values = {r["value"] for r in c.ql.rows(f"SHOW TAG VALUES WITH KEY = {key}", c.public)}
        assert not values & {city.SUPPRESSED_DISTRICT, city.SUPPRESSED_DONG, "detached_house"}
    measurements = {r["name"] for r in c.ql.rows("SHOW MEASUREMENTS", c.public)}
    # withheld: markers of groups withheld by complementary suppression (no figures).
    assert measurements == {
        "live_1m",
        "consumption_1h",
        "consumption_1d",
        "consumption_1mo",
        "withheld",
    }
