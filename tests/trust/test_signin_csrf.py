"""Sign-in and sign-out refuse what another site makes a browser send (login CSRF, logout
CSRF), through the JSON routes and the portal's forms."""

from __future__ import annotations

import re

import pytest

from api import session
from tests.civic.board_api import portal_sign_in
from tests.trust.conftest import World, set_cookies

EVIL = "https://evil.example"


@pytest.mark.parametrize(
    "headers", [{"Origin": EVIL}, {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"}]
)
def test_a_cross_site_sign_in_sets_no_cookie_and_spends_no_code(
    world: World, headers: dict[str, str]
) -> None:
    [code] = world.codes(["101-1"])
    victim = world.client()
    r = victim.post("/v1/board/redeem", json={"code": code}, headers=headers)
    assert r.status_code == 403 and not set_cookies(r), r.text
    assert session.COOKIE not in victim.cookies
    page = victim.get("/board/redeem")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    form = victim.post(
        "/board/redeem", data={"code": code, "csrf_token": token[1]}, headers=headers
    )
    assert form.status_code == 403 and session.COOKIE not in set_cookies(form)
    # The code is still the household's own: redeemed from this site, it works.
    ok = victim.post(
        "/v1/board/redeem", json={"code": code}, headers={"Origin": "http://testserver"}
    )
    assert ok.status_code == 200 and session.COOKIE in set_cookies(ok)


def test_a_portal_sign_in_needs_the_token_of_this_browsers_sign_in_page(world: World) -> None:
    [code] = world.codes(["101-1"])
    # A page on another site posts the form: it has no token (and cannot read one).
    victim = world.client()
    r = victim.post("/board/redeem", data={"code": code})
    assert r.status_code == 403 and session.COOKIE not in set_cookies(r)
    # Nor does the token of the attacker's own visit fit the victim's browser.
    attacker = world.client()
    page = attacker.get("/board/redeem")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    victim.get("/board/redeem")  # the victim's own sign-in cookie
    r = victim.post("/board/redeem", data={"code": code, "csrf_token": token[1]})
    assert r.status_code == 403 and session.COOKIE not in set_cookies(r)
    assert portal_sign_in(victim, code).status_code == 303  # the real page's form works
    assert victim.get("/v1/board/me").status_code == 200


def test_logout_needs_the_csrf_token_and_the_own_origin(world: World) -> None:
    browser, csrf = world.resident("101-1")
    assert browser.post("/v1/board/logout").status_code == 403
    wrong = ("y" if csrf[0] == "x" else "x") + csrf[1:]
    assert browser.post("/v1/board/logout", headers={"X-CSRF-Token": wrong}).status_code == 403
    cross = browser.post("/v1/board/logout", headers={"X-CSRF-Token": csrf, "Origin": EVIL})
    assert cross.status_code == 403 and not set_cookies(cross)
    assert browser.post("/board/logout", data={}).status_code == 403
    form = browser.post("/board/logout", data={"csrf_token": csrf}, headers={"Origin": EVIL})
    assert form.status_code == 403 and not set_cookies(form)
    everywhere = browser.post("/board/logout-everywhere", data={}, headers={"Origin": EVIL})
    assert everywhere.status_code == 403
    assert browser.get("/v1/board/me").status_code == 200  # none of them ended the session
    done = browser.post(
        "/v1/board/logout", headers={"X-CSRF-Token": csrf, "Origin": "http://testserver"}
    )
    assert done.status_code == 204
    assert browser.get("/v1/board/me").status_code == 401
