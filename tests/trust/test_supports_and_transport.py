"""A blocked resident's supports stop counting (shown count and answer threshold); HSTS in an
HTTPS deployment only; /docs loads no third-party script."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.rollup import city
from tests.trust.conftest import BOARD, PROPOSAL, Clock, World, build

HSTS = "max-age=31536000; includeSubDomains"


def test_a_blocked_residents_support_stops_counting(world: World) -> None:
    (author, a), (fan, f), (late, l_) = (world.resident(h) for h in ("101-1", "101-2", "101-3"))
    post = author.post("/v1/board/posts", json=PROPOSAL, headers={"X-CSRF-Token": a}).json()["id"]
    assert fan.post(f"/v1/board/posts/{post}/support", headers={"X-CSRF-Token": f}).json() == {
        "supports": 1
    }
    comment = fan.post(
        f"/v1/board/posts/{post}/comments", json={"body": "spam"}, headers={"X-CSRF-Token": f}
    ).json()["id"]
    blocked = world.admin().post(
        f"/v1/board/moderation/comment/{comment}/block-author", json={"note": "spam account"}
    )
    assert blocked.status_code == 204, blocked.text
    shown = world.client().get(f"/v1/board/posts/{post}").json()
    assert shown["supports"] == 0
    listed = world.client().get("/v1/board/posts").json()["posts"]
    assert [p["supports"] for p in listed if p["id"] == post] == [0]
    # The threshold (2) counts the unblocked only: a second support does not reach it.
    r = late.post(f"/v1/board/posts/{post}/support", headers={"X-CSRF-Token": l_})
    assert r.json() == {"supports": 1}
    assert world.client().get(f"/v1/board/posts/{post}").json()["answer_due_at"] is None
    unblocked = world.admin().post(
        f"/v1/board/moderation/comment/{comment}/unblock-author", json={"note": "appeal"}
    )
    assert unblocked.status_code == 204
    assert world.client().get(f"/v1/board/posts/{post}").json()["supports"] == 2


@pytest.mark.parametrize(
    ("secure", "hsts", "sent"), [(True, True, True), (False, True, False), (True, False, False)]
)
def test_hsts_in_an_https_deployment_only(
    engine: Engine,
    tmp_path: Path,
    clock: Clock,
    secure: bool,
    hsts: bool,
    sent: bool,
) -> None:
    config = BOARD.model_copy(update={"secure_cookies": secure})
    app = build(engine, city.write_sites(tmp_path), clock, config, hsts=hsts)
    client = TestClient(app, base_url="https://testserver" if secure else "http://testserver")
    for path in ("/", "/board", "/v1/board/posts", "/openapi.json", "/no-such-page"):
        r = client.get(path)
        assert (r.headers.get("strict-transport-security") == HSTS) is sent, path
        if not sent:
            assert "strict-transport-security" not in r.headers


def test_the_api_docs_load_no_third_party_script(world: World) -> None:
    client = world.client()
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/v1/board/redeem" in docs.text
    csp = docs.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    sources = re.findall(r"<script[^>]*\bsrc=\"([^\"]*)\"", docs.text)
    assert all(s.startswith("/static/") for s in sources), sources
    assert "<script>" not in docs.text and "cdn" not in docs.text.lower()
    assert client.get("/redoc").status_code == 404
    assert client.get("/docs/oauth2-redirect").status_code == 404
    assert client.get("/openapi.json").json()["info"]["title"]
