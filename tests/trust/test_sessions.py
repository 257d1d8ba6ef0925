"""Residents' sessions live on the server: a cookie copied before logout opens nothing after it,
on a page, a JSON route or the event stream; sign-in rotates the id; sign out everywhere;
idle and absolute expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from api import session
from civic.board import sessions
from tests.trust.conftest import PROPOSAL, World, cleared, copy_of, set_cookies

NEW_POST_FORM = 'action="/board/new"'


def _signed_in_everywhere(browser: TestClient, csrf: str) -> None:
    """The session opens the portal's write form, the JSON route and the event stream."""
    assert NEW_POST_FORM in browser.get("/board/new").text
    assert browser.get("/v1/board/me").status_code == 200
    with browser.stream("GET", "/v1/board/me/stream", params={"max_events": 1}) as r:
        assert r.status_code == 200
        assert "event: me" in r.read().decode()
    assert (
        browser.post("/v1/board/posts", json=PROPOSAL, headers={"X-CSRF-Token": csrf}).status_code
        == 201
    )


def _refused_everywhere(browser: TestClient, csrf: str) -> None:
    """The same checks, each refused: the page shows no form, the routes answer 401."""
    page = browser.get("/board/new")
    assert page.status_code == 200 and NEW_POST_FORM not in page.text
    assert browser.get("/v1/board/me").status_code == 401
    with browser.stream("GET", "/v1/board/me/stream", params={"max_events": 1}) as r:
        assert r.status_code == 401
        assert "event: me" not in r.read().decode()
    write = browser.post("/v1/board/posts", json=PROPOSAL, headers={"X-CSRF-Token": csrf})
    assert write.status_code == 401
    form = {
        "csrf_token": csrf,
        "kind": "proposal",
        "title": "t",
        "body": "b",
        "dong": PROPOSAL["dong"],
    }
    assert browser.post("/board/new", data=form).status_code == 401


@pytest.mark.parametrize("how", ["api", "portal"])
def test_a_cookie_copied_before_logout_is_refused_after_it(world: World, how: str) -> None:
    browser, csrf = world.resident("101-1")
    stolen = copy_of(browser)
    _signed_in_everywhere(stolen, csrf)
    if how == "api":
        out = browser.post("/v1/board/logout", headers={"X-CSRF-Token": csrf})
        assert out.status_code == 204
    else:
        out = browser.post("/board/logout", data={"csrf_token": csrf})
        assert out.status_code == 303
    assert all(cleared(set_cookies(out)[n]) for n in (session.COOKIE, session.CSRF_COOKIE))
    _refused_everywhere(stolen, csrf)
    _refused_everywhere(browser, csrf)


def test_an_open_stream_ends_when_its_session_ends(world: World) -> None:
    browser, csrf = world.resident("101-1")
    world.app.state.config.stream_interval_s = 0.05
    with browser.stream("GET", "/v1/board/me/stream") as r:
        lines = r.iter_lines()
        assert next(line for line in lines if line.startswith("event:")) == "event: me"
        other = copy_of(browser)
        assert other.post("/v1/board/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
        assert next(line for line in lines if line.startswith("event:")) == "event: ended"


def test_sign_in_rotates_the_session_id(world: World) -> None:
    browser, _ = world.resident("101-1")
    first = browser.cookies[session.COOKIE]
    before = copy_of(browser)
    # Another household signs in on the same browser: a new id, the old one revoked.
    world.sign_in(browser, world.codes(["101-2"])[0])
    second = browser.cookies[session.COOKIE]
    assert second != first and len(second) >= 43
    assert before.get("/v1/board/me").status_code == 401
    assert browser.get("/v1/board/me").status_code == 200
    assert world.session_row(first).revoked_reason == sessions.Ended.ROTATED
    # The table holds the ids' hashes only.
    assert world.session_row(second).id_hash not in (first, second)


def test_sign_out_everywhere_ends_the_households_other_sessions(world: World) -> None:
    laptop, csrf = world.resident("101-1")
    neighbour, _ = world.resident("101-2")
    resident_id = world.session_row(laptop.cookies[session.COOKIE]).resident_id
    # A second device of the same household (as a second sign-in would make it).
    phone = world.client()
    phone.cookies.set(
        session.COOKIE, sessions.create(world.engine, resident_id, world.clock(), _life(world))
    )
    assert phone.get("/v1/board/me").status_code == 200
    assert laptop.post("/v1/board/logout-everywhere").status_code == 403  # no CSRF token
    r = laptop.post("/v1/board/logout-everywhere", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200 and r.json() == {"sessions_ended": 2}
    assert cleared(set_cookies(r)[session.COOKIE])
    assert phone.get("/v1/board/me").status_code == 401
    assert copy_of(laptop).get("/v1/board/me").status_code == 401
    assert neighbour.get("/v1/board/me").status_code == 200  # another household's stays


def test_sign_out_everywhere_from_the_portal(world: World) -> None:
    browser, csrf = world.resident("101-1")
    stolen = copy_of(browser)
    page = browser.get("/board").text
    assert 'action="/board/logout-everywhere"' in page
    r = browser.post("/board/logout-everywhere", data={"csrf_token": csrf})
    assert r.status_code == 303 and r.headers["location"].startswith("/board")
    assert stolen.get("/v1/board/me").status_code == 401


def _life(world: World) -> sessions.Lifetimes:
    return sessions.Lifetimes.days(world.config.session_idle_days, world.config.session_max_days)


def test_an_idle_session_ends_and_use_keeps_one_alive(world: World) -> None:
    life = _life(world)
    idle, used = world.resident("101-1")[0], world.resident("101-2")[0]
    step = life.idle - timedelta(minutes=5)
    world.clock.advance(step)
    assert used.get("/v1/board/me").status_code == 200  # use moves its idle deadline
    world.clock.advance(timedelta(minutes=10))  # past the first idle deadline
    assert idle.get("/v1/board/me").status_code == 401
    assert used.get("/v1/board/me").status_code == 200
    assert NEW_POST_FORM not in idle.get("/board/new").text


def test_a_session_in_use_ends_at_its_absolute_lifetime(world: World) -> None:
    life = _life(world)
    browser, _ = world.resident("101-1")
    started = world.clock()
    step = life.idle - timedelta(minutes=5)
    while world.clock() + step < started + life.absolute:
        world.clock.advance(step)
        assert browser.get("/v1/board/me").status_code == 200
    world.clock.now = started + life.absolute
    assert browser.get("/v1/board/me").status_code == 401
    with browser.stream("GET", "/v1/board/me/stream", params={"max_events": 1}) as r:
        assert r.status_code == 401


def test_logging_out_an_ended_session_only_clears_the_cookies(world: World) -> None:
    browser, _ = world.resident("101-1")
    world.clock.advance(_life(world).absolute)
    r = browser.post("/v1/board/logout")  # nothing to end: no token needed
    assert r.status_code == 204 and cleared(set_cookies(r)[session.COOKIE])
