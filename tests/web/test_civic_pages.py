"""The board's and the surveys' pages in-process, on a real (SQLite) platform database.

Forms post as a browser without JavaScript would: urlencoded, with the
session's CSRF token in a hidden field; refusals are pages with the API's
status code and reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api import session
from tests.civic.board_api import codes, open_round, portal_sign_in, survey_app
from tests.rollup import city
from tests.staff.people import PASSWORD, add_staff, fast_staff
from tests.web.board_site import csrf_of, signed_in_browser
from tests.web.test_pages import tags

DONG = city.APARTMENT_DONG[1]
NOW = datetime.now(UTC)
ALERT = re.compile(r'role="alert">(.*?)<')


@pytest.fixture
def app(tmp_path: Path) -> Iterator[FastAPI]:
    with survey_app(tmp_path, NOW) as built:
        yield built


def _post(browser: TestClient, title: str = "Solar on the school roof") -> str:
    token = csrf_of(browser.get("/board/new"))
    form = {"csrf_token": token, "kind": "proposal", "title": title, "dong": DONG}
    r = browser.post("/board/new", data=form | {"body": "**Yes** <script>alert(1)</script>"})
    assert r.status_code == 303, r.text
    return r.headers["location"].split("?")[0]


def test_a_resident_signs_in_posts_and_supports_through_forms(app: FastAPI) -> None:
    author = signed_in_browser(app, "101-1")
    cookie = next(c for c in author.cookies.jar if c.name == session.COOKIE)
    assert cookie.path == "/"  # one session for the board, the surveys and the pages
    path = _post(author)
    page = author.get(path)
    assert page.headers["cache-control"] == "private, no-store"
    assert "<strong>Yes</strong> &lt;script&gt;" in page.text and "<script>alert" not in page.text
    fan = signed_in_browser(app, "101-2")
    token = csrf_of(fan.get(path))
    assert fan.post(f"{path}/support", data={"csrf_token": token}).status_code == 303
    again = fan.post(f"{path}/support", data={"csrf_token": token})
    assert again.status_code == 409 and "already support" in ALERT.findall(again.text)[0]
    assert fan.post(f"{path}/support", data={}).status_code == 403  # no CSRF field
    other = author.post(f"{path}/support", data={"csrf_token": token})  # fan's token
    assert other.status_code == 403
    reply = fan.post(f"{path}/comments", data={"csrf_token": token, "body": "Agreed"})
    assert reply.status_code == 303
    assert "Agreed" in TestClient(app).get(path).text and "공감 1" in author.get(path).text


def test_a_code_works_once_and_redirects_stay_on_site(app: FastAPI) -> None:
    [code] = codes(app, ["101-9"])
    browser = TestClient(app, follow_redirects=False)
    r = portal_sign_in(browser, code, next="//evil.example/x")
    assert r.status_code == 303 and r.headers["location"] == "/board"
    again = portal_sign_in(TestClient(app), code)
    assert again.status_code == 409 and "이미 사용된" in ALERT.findall(again.text)[0]


def test_status_colours_are_a_style_sheet_with_readable_text(app: FastAPI) -> None:
    css = TestClient(app).get("/board/statuses.css")
    assert css.headers["content-type"].startswith("text/css")
    assert re.search(r"\.status-open\{background:#[0-9a-f]{6};color:#(ffffff|1b1f24)\}", css.text)


ANSWERS = {
    "data_useful": "4",
    "data_used_for": ["compare", "save"],
    "policy_support": "yes",
    "policy_why_not": "not asked: dropped without JavaScript",
    "policy_ratings.solar": "5",
    "monthly_bill": "45",
}


def test_a_survey_is_answered_edited_once_per_household(app: FastAPI) -> None:
    rid = open_round(app, NOW)
    first = signed_in_browser(app, "101-1")
    token = csrf_of(first.get(f"/surveys/{rid}"))
    r = first.post(f"/surveys/{rid}", data=ANSWERS | {"csrf_token": token})
    assert r.headers.get("location") == f"/surveys/{rid}?note=recorded", r.text
    edited = ANSWERS | {"csrf_token": token, "policy_support": "no", "policy_why_not": "Cost"}
    assert first.post(f"/surveys/{rid}", data=edited).headers["location"].endswith("updated")
    page = first.get(f"/surveys/{rid}").text
    assert 'value="no" checked' in page and "Cost</textarea>" in page
    # The same account in another browser: no edit capability, and no second answer.
    other = TestClient(app, follow_redirects=False)
    other.cookies.set(session.COOKIE, first.cookies[session.COOKIE])
    refused = other.post(f"/surveys/{rid}", data=ANSWERS | {"csrf_token": token})
    assert refused.status_code == 409 and "already answered" in refused.text
    assert TestClient(app).get(f"/surveys/{rid}/results").status_code == 409


@pytest.mark.parametrize("lang", ["", "?lang=en"])
def test_civic_pages_have_no_inline_script_or_style_in_either_language(
    app: FastAPI, lang: str
) -> None:
    rid = open_round(app, NOW)
    reader = signed_in_browser(app, "101-1")
    post = _post(reader)
    for path in (
        "/board", post, "/board/new", "/board/redeem", "/board/answer-times",
        "/surveys", f"/surveys/{rid}", f"/surveys/{rid}/results", "/staff/signin",
    ):  # fmt: skip
        r = reader.get(path + lang)
        assert r.status_code in (200, 409), (path, r.text[:300])
        assert "unsafe-inline" not in r.headers["content-security-policy"]
        found = tags(r.text)
        assert all(a.get("src", "").startswith("/static/") for t, a in found if t == "script")
        assert not [t for t, a in found if "style" in a or t == "style"], path
        assert not [a for t, a in found for k in a if k.startswith("on")], path


def test_staff_answer_set_status_publish_and_moderate_through_the_staff_view(
    app: FastAPI,
) -> None:
    author = signed_in_browser(app, "101-1")
    post = _post(author)
    post_id = int(post.rsplit("/", 1)[1])
    fast_staff(app)
    add_staff(app, "lee", "moderator")
    staff = TestClient(app, follow_redirects=False)
    assert staff.get("/board/staff").headers["location"].startswith("/staff/signin")
    wrong = staff.post("/staff/signin", data={"name": "lee", "password": "wrong password"})
    assert wrong.status_code == 401 and "staff_session" not in wrong.headers.get("set-cookie", "")
    sign_in = staff.post("/staff/signin", data={"name": "lee", "password": PASSWORD,
                                                "next": "/board/staff"})  # fmt: skip
    assert sign_in.status_code == 303 and sign_in.headers["location"] == "/board/staff"
    token = csrf_of(staff.get("/board/staff"))
    act = {"csrf_token": token, "post_id": str(post_id)}
    answer = act | {"action": "answer", "body": "We will study it this winter."}
    assert staff.post("/board/staff", data=answer).status_code == 200
    assert "study it this winter" not in TestClient(app).get(post).text  # written, not published
    staff.post("/board/staff", data=act | {"action": "status", "status": "under_review"})
    done = staff.post("/board/staff", data=act | {"action": "publish"})
    assert "publish: post" in done.text
    page = TestClient(app).get(post).text
    assert "study it this winter" in page and "status-under_review" in page
    assert ">lee ·" in page  # the signed-in account's name, from its session
    forged = staff.post("/board/staff", data=act | {"csrf_token": "x", "action": "publish"})
    assert forged.status_code == 403
    hide = {"csrf_token": token, "action": "hide", "kind": "post", "item_id": str(post_id)}
    staff.post("/board/staff", data=hide)
    assert TestClient(app).get(post).status_code == 404
    again = staff.post("/board/staff", data=act | {"action": "publish"})
    assert "already published" in ALERT.findall(again.text)[0]
