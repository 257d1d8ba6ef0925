"""Who sees which site: a facility manager its own sites only, an operator every site.

Every facility route (page, SSE stream, CSV download) is enumerated from the app itself,
so a route added later without the check fails here; each is asked for another site's
figures with a one-site manager's session, on SQLite and on PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.staff.people import staff_member

OWN, OTHER = "ind-1", "apt"
# Query strings that would make each route answer 200 for a site the account opens.
QUERIES = {
    "/facility/{site}": "",
    "/facility/{site}/stream": "?max_events=1",
    "/facility/{site}/readings.csv": "?meter=blk101-elec&utility=electricity"
    "&start=2026-01-01&end=2026-01-02",
}


def get_routes(routes: list[Any], prefix: str = "", method: str = "GET") -> Iterator[str]:
    """The paths of every GET route, through included routers (FastAPI keeps those as
    wrappers around the original router)."""
    for r in routes:
        if hasattr(r, "original_router"):
            inner = getattr(r.include_context, "prefix", "") or ""
            yield from get_routes(r.original_router.routes, prefix + inner, method)
        elif isinstance(r, APIRoute) and method in r.methods:
            yield prefix + r.path


def post_routes(app: FastAPI) -> list[str]:
    return sorted(
        p
        for p in set(get_routes(app.routes, method="POST"))
        if re.match(r"^/(facility|operations)\b", p)
    )


def site_routes(app: FastAPI) -> list[str]:
    """Every GET route of the app with a {site} under /facility or /operations."""
    return sorted(
        p
        for p in set(get_routes(app.routes))
        if re.match(r"^/(facility|operations)\b", p) and "{site}" in p
    )


def test_every_site_route_is_known_here(app: FastAPI) -> None:
    assert site_routes(app) == sorted(QUERIES)


def test_a_manager_of_one_site_gets_nothing_of_another(app: FastAPI) -> None:
    manager = staff_member(app, "park", "facility_manager", sites=(OWN,))
    for path in site_routes(app):
        url = path.replace("{site}", OTHER) + QUERIES[path]
        r = manager.get(url, follow_redirects=False)
        assert r.status_code == 403, (url, r.status_code)
        assert "blk101" not in r.text, url
        mine = path.replace("{site}", OWN) + QUERIES[path].replace("blk101", "main")
        own = manager.get(mine, follow_redirects=False)
        assert own.status_code == 200, (path, own.status_code, own.text[:300])
    assert manager.get("/facility/no-such-site").status_code == 404


def test_the_index_lists_only_the_managers_sites(app: FastAPI) -> None:
    manager = staff_member(app, "park", "facility_manager", sites=(OWN,))
    page = manager.get("/facility").text
    links = set(re.findall(r'href="/facility/([a-z0-9._-]+)"', page))
    assert links == {OWN}


def test_an_operator_sees_every_site(app: FastAPI) -> None:
    operator = staff_member(app, "lee", "operator")
    links = set(re.findall(r'href="/facility/([a-z0-9._-]+)"', operator.get("/facility").text))
    assert {OWN, OTHER} <= links
    for site in (OWN, OTHER):
        assert operator.get(f"/facility/{site}").status_code == 200


def test_acknowledging_another_sites_alert_is_refused(app: FastAPI) -> None:
    posts = [p for p in post_routes(app) if "{site}" in p]
    assert posts == ["/facility/{site}/alerts/{alert_id}/ack"]
    manager = staff_member(app, "park", "facility_manager", sites=(OWN,))
    form = {"csrf_token": manager.csrf, "note": "not mine"}
    r = manager.client.post(f"/facility/{OTHER}/alerts/1/ack", data=form)
    assert r.status_code == 403


def test_other_staff_roles_open_no_site(app: FastAPI) -> None:
    moderator = staff_member(app, "choi", "moderator")
    assert moderator.get(f"/facility/{OWN}").status_code == 403
    assert moderator.get(f"/facility/{OWN}/stream?max_events=1").status_code == 403


def test_without_a_session(app: FastAPI) -> None:
    client = TestClient(app)
    r = client.get(f"/facility/{OWN}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/staff/signin?next=")
    for path in site_routes(app):
        if path != "/facility/{site}":
            assert client.get(path.replace("{site}", OWN) + QUERIES[path]).status_code == 401
    # A bearer token does not open the pages (only the staff cookie does).
    admin = client.get(f"/facility/{OWN}/stream?max_events=1",
                       headers={"Authorization": "Bearer facility-admin-token"})  # fmt: skip
    assert admin.status_code == 401


def test_signing_out_closes_the_pages(app: FastAPI) -> None:
    manager = staff_member(app, "park", "facility_manager", sites=(OWN,))
    assert manager.get(f"/facility/{OWN}").status_code == 200
    r = manager.post("/v1/staff/signout")
    assert r.status_code in (200, 204), r.text
    assert manager.get(f"/facility/{OWN}/stream?max_events=1").status_code == 401
