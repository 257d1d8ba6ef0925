"""Every cookie set for a resident takes `Secure` from the configuration, whatever the scheme.

The session and CSRF cookies (API and portal sign-in) and a survey answer's
edit cookie (API and portal) are all set by api/session.py; behind a proxy
that ends TLS the request's own scheme is http, so it must not decide.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api import session
from civic.board.config import BoardConfig
from tests.civic.board_api import BOARD, codes, open_round, portal_sign_in, survey_app

NOW = datetime.now(UTC)
ANSWERS = {"data_useful": 4, "data_used_for": ["compare"], "policy_support": "yes"}


@pytest.fixture(params=[True, False], ids=["secure", "plain-http-run"])
def secure(request: pytest.FixtureRequest) -> bool:
    return request.param


@pytest.fixture
def app(tmp_path: Path, secure: bool) -> Iterator[FastAPI]:
    with survey_app(tmp_path, NOW, BOARD.model_copy(update={"secure_cookies": secure})) as built:
        yield built


def _set_cookies(response: object) -> dict[str, str]:
    headers = response.headers.get_list("set-cookie")  # type: ignore[attr-defined]
    return {h.split("=", 1)[0]: h for h in headers}


def _secure(header: str) -> bool:
    return "secure" in [part.strip().lower() for part in header.split(";")]


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_api_cookies_follow_the_configuration(app: FastAPI, secure: bool, scheme: str) -> None:
    client = TestClient(app, base_url=f"{scheme}://testserver")
    signed = client.post("/v1/board/redeem", json={"code": codes(app, ["101-1"])[0]})
    assert signed.status_code == 200, signed.text
    set_now = _set_cookies(signed)
    assert {session.COOKIE, session.CSRF_COOKIE} <= set_now.keys()
    assert [_secure(set_now[n]) for n in (session.COOKIE, session.CSRF_COOKIE)] == [secure] * 2
    rid = open_round(app, NOW)
    client.cookies.set(session.COOKIE, client.cookies[session.COOKIE])
    answered = client.post(
        f"/v1/surveys/rounds/{rid}/response",
        json={"answers": ANSWERS},
        headers={session.CSRF_HEADER: signed.json()["csrf_token"]},
    )
    assert answered.status_code == 201, answered.text
    assert _secure(_set_cookies(answered)[session.edit_cookie(rid)]) is secure


def test_portal_cookies_follow_the_configuration(app: FastAPI, secure: bool) -> None:
    browser = TestClient(app, follow_redirects=False)  # plain http, as behind a TLS proxy
    signed = portal_sign_in(browser, codes(app, ["101-2"])[0])
    assert signed.status_code == 303
    assert _secure(_set_cookies(signed)[session.COOKIE]) is secure
    # An http client keeps Secure cookies without sending them: a second one carries them.
    sent = {n: h.split(";")[0].split("=", 1)[1] for n, h in _set_cookies(signed).items()}
    browser = TestClient(app, follow_redirects=False, cookies=sent)
    rid = open_round(app, NOW)
    token = sent[session.CSRF_COOKIE]
    form = {"data_useful": "4", "policy_support": "yes", "csrf_token": token}
    answered = browser.post(f"/surveys/{rid}", data=form)
    assert answered.status_code == 303, answered.text
    assert _secure(_set_cookies(answered)[session.edit_cookie(rid)]) is secure


def test_the_default_is_secure() -> None:
    assert BoardConfig().secure_cookies is True
