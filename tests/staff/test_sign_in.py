"""Staff sign-in, sign-out, expiry, CSRF and Origin, through the real app on both engines."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from api import staff_auth
from api.ratelimit import TokenBuckets
from staff.sessions import id_hash
from telemetry.db import audit
from telemetry.db.tables import staff_sessions
from tests.civic.board_api import BOARD, board_app, codes, resident
from tests.rollup import city
from tests.staff.conftest import Clock
from tests.staff.people import PASSWORD, add_staff, staff_member


def _entries(app: FastAPI, **f: str) -> list[dict]:
    with app.state.staff.accounts.engine.connect() as conn:
        return audit.entries(conn, audit.Filter(**f), 1000)


def _post_id(app: FastAPI) -> int:
    """A resident's post, for the staff to act on."""
    [code] = codes(app, ["101-1"])
    author = resident(app, code)
    r = author.post("/v1/board/posts", {"kind": "question", "title": "Why so high?",
                                        "body": "Our bill doubled.", "dong": city.APARTMENT_DONG[1]})  # fmt: skip
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_sign_in_reads_me_and_sign_out_ends_the_session(app: FastAPI) -> None:
    kim = staff_member(app, "kim", "moderator")
    cookie = kim.client.cookies[staff_auth.COOKIE]
    me = kim.get("/v1/staff/me").json()
    assert (me["actor"], me["roles"], me["csrf_token"]) == ("staff:kim", ["moderator"], kim.csrf)
    with app.state.staff.accounts.engine.connect() as conn:
        stored = conn.execute(select(staff_sessions.c.id_hash)).scalars().all()
    assert stored == [id_hash(cookie)] and cookie not in stored  # the table holds a hash only
    assert kim.post("/v1/staff/signout").status_code == 204
    assert kim.get("/v1/staff/me").status_code == 401
    replay = TestClient(app)
    replay.cookies.set(staff_auth.COOKIE, cookie)  # the cookie copied before sign-out
    assert replay.get("/v1/staff/me").status_code == 401
    assert replay.get("/v1/board/moderation/queue").status_code == 401
    assert [e["action"] for e in _entries(app, actor="staff:kim")] == [
        "staff.signout",
        "staff.signin",
    ]


def test_the_cookie_is_httponly_strict_and_secure_from_the_configuration(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    secure = board_app(engine, city.write_sites(tmp_path), board=BOARD.model_copy(
        update={"secure_cookies": True}))  # fmt: skip
    kim = staff_member(secure, "kim", "moderator", base_url="https://testserver")
    assert kim.get("/v1/staff/me").status_code == 200  # sent back over https
    again = TestClient(secure, base_url="https://testserver")
    r = again.post("/v1/staff/signin", json={"name": "kim", "password": PASSWORD})
    header = r.headers["set-cookie"].lower()
    assert header.startswith("staff_session=")
    assert all(part in header for part in ("httponly", "samesite=strict", "secure", "path=/"))


def test_a_wrong_password_or_unknown_name_is_refused_and_recorded(app: FastAPI) -> None:
    add_staff(app, "kim", "moderator")
    client = TestClient(app)
    for name, password in (("kim", "not her password"), ("nobody", PASSWORD)):
        r = client.post("/v1/staff/signin", json={"name": name, "password": password})
        assert r.status_code == 401, r.text
        assert "set-cookie" not in r.headers
    refused = _entries(app, action="staff.signin_refused")
    assert {(e["actor"], e["target_id"]) for e in refused} == {
        ("anonymous", "kim"),
        ("anonymous", "nobody"),
    }


def test_a_disabled_account_cannot_sign_in_and_its_sessions_end(app: FastAPI) -> None:
    kim = staff_member(app, "kim", "moderator")
    app.state.staff.accounts.disable("kim", actor=audit.CLI)
    assert kim.get("/v1/staff/me").status_code == 401
    r = TestClient(app).post("/v1/staff/signin", json={"name": "kim", "password": PASSWORD})
    assert r.status_code == 401
    assert [e["actor"] for e in _entries(app, action="staff.disable")] == ["cli"]


def test_a_new_password_ends_every_session(app: FastAPI) -> None:
    kim = staff_member(app, "kim", "moderator")
    app.state.staff.accounts.set_password("kim", "another long password", actor=audit.CLI)
    assert kim.get("/v1/staff/me").status_code == 401
    r = TestClient(app).post("/v1/staff/signin", json={"name": "kim", "password": PASSWORD})
    assert r.status_code == 401


def test_a_session_ends_when_idle_and_at_its_absolute_expiry(app: FastAPI) -> None:
    sessions = app.state.staff.sessions
    clock = Clock(sessions.clock())
    sessions.clock = clock
    kim = staff_member(app, "kim", "moderator")
    clock.advance(seconds=(sessions.idle - timedelta(minutes=1)).total_seconds())
    assert kim.get("/v1/staff/me").status_code == 200  # used: the idle deadline moves on
    clock.advance(seconds=(sessions.idle - timedelta(minutes=1)).total_seconds())
    assert kim.get("/v1/staff/me").status_code == 200
    clock.advance(seconds=(sessions.idle + timedelta(minutes=1)).total_seconds())
    assert kim.get("/v1/staff/me").status_code == 401  # idle too long

    lee = staff_member(app, "lee", "moderator")
    signed_in_at, step = clock(), sessions.idle / 2
    while clock() + step < signed_in_at + sessions.absolute:  # kept busy all day
        clock.advance(seconds=step.total_seconds())
        assert lee.get("/v1/staff/me").status_code == 200
    clock.now = signed_in_at + sessions.absolute + timedelta(minutes=1)  # used within `idle`
    assert lee.get("/v1/staff/me").status_code == 401  # past the absolute expiry, busy or not


def test_staff_writes_need_the_csrf_token_and_this_origin(app: FastAPI) -> None:
    post_id = _post_id(app)
    kim = staff_member(app, "kim", "moderator")
    path = f"/v1/board/posts/{post_id}/status"
    body = {"status": "under_review"}
    without = kim.client.put(path, json=body)
    assert without.status_code == 403 and "X-CSRF-Token" in without.json()["detail"]
    forged = kim.client.put(path, json=body, headers={"X-CSRF-Token": "forged"})
    assert forged.status_code == 403
    other = TestClient(app)
    other.cookies.set(staff_auth.COOKIE, "another-session-id")
    assert other.put(path, json=body, headers={"X-CSRF-Token": kim.csrf}).status_code == 401
    cross = kim.put(path, body, headers={"Origin": "https://evil.example"})
    assert cross.status_code == 403 and "origin" in cross.json()["detail"]
    assert TestClient(app).get(f"/v1/board/posts/{post_id}").json()["status"] == "open"
    assert _entries(app, action="post.status") == []
    same = kim.put(path, body, headers={"Origin": "http://testserver"})
    assert same.status_code == 204
    assert TestClient(app).get(f"/v1/board/posts/{post_id}").json()["status"] == "under_review"


def test_a_cross_origin_sign_in_sets_no_cookie(app: FastAPI) -> None:
    add_staff(app, "kim", "moderator")
    client = TestClient(app)
    r = client.post(
        "/v1/staff/signin",
        json={"name": "kim", "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
    )
    assert r.status_code == 403 and "set-cookie" not in r.headers
    form = client.post(
        "/staff/signin",
        data={"name": "kim", "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert form.status_code == 403 and "set-cookie" not in form.headers
    fetched = client.post(
        "/v1/staff/signin",
        json={"name": "kim", "password": PASSWORD},
        headers={"Sec-Fetch-Site": "same-site"},  # a sibling subdomain is another application
    )
    assert fetched.status_code == 403 and "set-cookie" not in fetched.headers
    assert _entries(app, action="staff.signin") == []


def test_sign_in_tries_are_limited_per_name(app: FastAPI) -> None:
    add_staff(app, "kim", "moderator")
    app.state.staff.by_name = TokenBuckets(0.01, 3)
    client = TestClient(app)
    codes_seen = [
        client.post("/v1/staff/signin", json={"name": "kim", "password": f"guess {i}"}).status_code
        for i in range(4)
    ]
    assert codes_seen == [401, 401, 401, 429]
    right = client.post("/v1/staff/signin", json={"name": "kim", "password": PASSWORD})
    assert right.status_code == 429  # the name's bucket is empty, right password or not
