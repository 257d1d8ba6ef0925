"""The board's routes over a real database (SQLite and PostgreSQL): sign-in, guards, problems."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from api import session
from api.guards import MAX_BODY_BYTES
from api.ratelimit import TokenBuckets
from telemetry.db.tables import residents as residents_table
from tests.civic.board_api import Person, codes, manager, residents, staff
from tests.rollup import city
from tests.support.tenancy import lived

DONG = city.APARTMENT_DONG[1]
PROPOSAL = {
    "kind": "proposal",
    "title": "Shade the car park",
    "body": "with **solar**",
    "dong": DONG,
}


def test_manager_codes_are_for_their_own_site_only(app: FastAPI) -> None:
    r = manager(app, "ind-1").post("/v1/board/codes", {"site": "apt", "households": ["101-1"]})
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    r = Person(TestClient(app)).post("/v1/board/codes", {"site": "apt", "households": ["1"]})
    assert r.status_code == 401
    r = manager(app).post("/v1/board/codes", {"site": "apt", "households": ["101-1", "101-1"]})
    assert r.status_code == 400 and "the same unit 101-1" in r.json()["detail"]
    r = manager(app).post("/v1/board/codes", {"site": "apt", "households": ["101-1"]})
    assert r.status_code == 400 and "no current tenant" in r.json()["detail"]
    lived(app.state.board.engine, "apt", ["101-1"])
    r = manager(app).post("/v1/board/codes", {"site": "apt", "households": ["101-1"]})
    assert r.status_code == 201 and r.headers["cache-control"] == "no-store"
    assert r.json()["dong"] == DONG and len(r.json()["codes"]) == 1


def test_redeem_sets_a_signed_httponly_cookie_once(app: FastAPI) -> None:
    code = codes(app, ["101-1"])[0]
    person = Person(TestClient(app))
    r = person.post("/v1/board/redeem", {"code": code})
    assert r.status_code == 200 and r.json()["dong"] == DONG
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith(session.COOKIE))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    assert "Path=/;" in cookie  # one session for the board, the surveys and the pages
    again = Person(TestClient(app)).post("/v1/board/redeem", {"code": code})
    assert again.status_code == 409 and again.json()["type"] == "/problems/code-used"
    wrong = Person(TestClient(app)).post("/v1/board/redeem", {"code": "0000-0000-0000"})
    # A well-formed code that opens nothing: a credential refused.
    assert wrong.status_code == 401 and wrong.json()["type"] == "/problems/code-unknown"


def test_a_forged_or_foreign_session_is_refused(app: FastAPI) -> None:
    a, b = residents(app, 2)
    assert a.get("/v1/board/me").status_code == 200
    # The cookie is a random id the server knows by its hash: a changed one names nothing.
    real = a.client.cookies[session.COOKIE]
    for forged_id in (real[:-1] + ("A" if real[-1] != "A" else "B"), "x" * 43, "1.2.3", ""):
        forged = Person(TestClient(app))
        forged.client.cookies.set(session.COOKIE, forged_id)
        assert forged.get("/v1/board/me").status_code == 401, forged_id
    # The CSRF token of b's session does not open a write with a's.
    a.csrf, b.csrf = b.csrf, a.csrf
    assert a.post("/v1/board/posts", PROPOSAL).status_code == 403
    assert Person(TestClient(app)).get("/v1/board/me").status_code == 401


def test_writes_need_the_csrf_token_and_the_own_origin(app: FastAPI) -> None:
    (a,) = residents(app, 1)
    token, a.csrf = a.csrf, None
    assert a.post("/v1/board/posts", PROPOSAL).status_code == 403
    a.csrf = ("y" if token[0] == "x" else "x") + token[1:]  # a different token, always
    assert a.post("/v1/board/posts", PROPOSAL).status_code == 403
    a.csrf = token
    a.headers["Origin"] = "https://evil.example"
    r = a.post("/v1/board/posts", PROPOSAL)
    assert r.status_code == 403 and "origin" in r.json()["detail"]
    a.headers["Origin"] = "http://testserver"
    assert a.post("/v1/board/posts", PROPOSAL).status_code == 201


def test_refusals_are_problems(app: FastAPI) -> None:
    a, b = residents(app, 2)
    post_id = a.post("/v1/board/posts", PROPOSAL).json()["id"]
    assert a.post(f"/v1/board/posts/{post_id}/support").json() == {"supports": 1}
    twice = a.post(f"/v1/board/posts/{post_id}/support")
    assert twice.status_code == 409 and twice.json()["type"] == "/problems/board-duplicate"
    assert a.post("/v1/board/posts/9999/support").status_code == 404
    bad = a.post("/v1/board/posts", PROPOSAL | {"dong": "2999999999"})
    assert bad.status_code == 409 and bad.json()["errors"][0]["field"] == "dong"
    elsewhere = a.post("/v1/board/posts", PROPOSAL | {"site": "ind-1"})  # ind-1 is in another dong
    assert elsewhere.status_code == 409 and elsewhere.json()["errors"][0]["field"] == "site"
    assert a.post("/v1/board/posts", PROPOSAL | {"site": "apt"}).status_code == 201
    html = a.post("/v1/board/posts", PROPOSAL | {"kind": "rant"})
    assert html.status_code == 422 and html.headers["content-type"] == "application/problem+json"
    s = staff(app)
    assert (
        s.write("PUT", f"/v1/board/posts/{post_id}/status", {"status": "closed"}).status_code == 204
    )
    closed = b.post(f"/v1/board/posts/{post_id}/support")
    assert closed.status_code == 409 and closed.json()["type"] == "/problems/board-closed"


def test_staff_routes_need_the_admin_token(app: FastAPI) -> None:
    (a,) = residents(app, 1)
    post_id = a.post("/v1/board/posts", PROPOSAL).json()["id"]
    r = a.write("PUT", f"/v1/board/posts/{post_id}/answer", {"body": "yes"})
    assert r.status_code == 401
    r = manager(app).write("PUT", f"/v1/board/posts/{post_id}/answer", {"body": "yes"})
    assert r.status_code == 401


def test_bodies_and_rates_are_limited(app: FastAPI) -> None:
    (a,) = residents(app, 1)
    big = a.post("/v1/board/posts", PROPOSAL | {"body": "x" * (MAX_BODY_BYTES + 1)})
    assert big.status_code == 413
    app.state.board_limits["resident"] = TokenBuckets(0.001, 2)
    assert a.post("/v1/board/posts", PROPOSAL).status_code == 201
    assert a.post("/v1/board/posts", PROPOSAL).status_code == 201
    r = a.post("/v1/board/posts", PROPOSAL)
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    app.state.board_limits["redeem"] = TokenBuckets(0.001, 1)
    tries = [Person(TestClient(app)).post("/v1/board/redeem", {"code": "0000-0000-0000"})]
    tries.append(Person(TestClient(app)).post("/v1/board/redeem", {"code": "0000-0000-0000"}))
    assert [t.status_code for t in tries] == [401, 429]  # unknown code, then the limit


def test_open_data_never_names_a_resident(app: FastAPI) -> None:
    a, b = residents(app, 2)
    post_id = a.post("/v1/board/posts", PROPOSAL).json()["id"]
    b.post(f"/v1/board/posts/{post_id}/comments", {"body": "agreed"})
    s = staff(app)
    s.write("PUT", f"/v1/board/posts/{post_id}/answer", {"body": "we will"})
    s.post(f"/v1/board/posts/{post_id}/answer/publish")
    with app.state.board.engine.connect() as conn:
        keys = [r.resident_key for r in conn.execute(select(residents_table))]
    anyone = Person(TestClient(app))
    for path in (
        "/v1/board/open-data/posts.csv",
        "/v1/board/open-data/posts.json",
        "/v1/board/open-data/answers.csv",
        "/v1/board/open-data/answers.json",
        "/v1/board/feed.json",
        f"/v1/board/posts/{post_id}",
    ):
        r = anyone.get(path)
        assert r.status_code == 200, path
        assert not any(k in r.text for k in keys), path
        assert "author_id" not in r.text and "resident_key" not in r.text, path
    rows = anyone.get("/v1/board/open-data/posts.json").json()
    assert rows[0]["author"] == "resident" and rows[0]["comments"] == 1
    assert anyone.get("/v1/board/open-data/answers.json").json()[0]["body"] == "we will"
    csv = anyone.get("/v1/board/open-data/statuses.csv").text
    assert csv.splitlines()[0] == "token,label_ko,label_en,colour,closed" and "답변 완료" in csv


def test_the_author_is_told_why_and_a_blocked_author_cannot_write(app: FastAPI) -> None:
    (a,) = residents(app, 1)
    post_id = a.post("/v1/board/posts", PROPOSAL).json()["id"]
    s = staff(app)
    note = {"note": "advertising"}
    assert s.post(f"/v1/board/moderation/post/{post_id}/block-author", note).status_code == 204
    mine = a.get("/v1/board/me").json()
    assert mine["blocked"] and mine["blocked_reason"] == "advertising"
    assert mine["hidden"][0]["reason"] == "author_blocked"
    refused = a.post("/v1/board/posts", PROPOSAL)
    assert refused.status_code == 403 and refused.json()["type"] == "/problems/board-blocked"
    assert s.post(f"/v1/board/moderation/post/{post_id}/unblock-author", note).status_code == 204
    assert Person(TestClient(app)).get(f"/v1/board/posts/{post_id}").status_code == 200


def test_sign_in_needs_the_signing_key(app: FastAPI) -> None:
    code = codes(app, ["101-9"])[0]
    app.state.secrets = type(app.state.secrets)("a", {}, "")
    r = Person(TestClient(app)).post("/v1/board/redeem", {"code": code})
    assert r.status_code == 503 and "ENERGY_API_SIGNING_KEY" in r.json()["detail"]
