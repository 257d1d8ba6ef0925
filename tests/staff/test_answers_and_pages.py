"""Answers are versioned (an edited answer shows its earlier text); the staff pages hold no
token; the audit page and sign-in page work without JavaScript (both engines)."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from api import staff_auth
from tests.civic.board_api import ADMIN, codes, resident
from tests.rollup import city
from tests.staff.people import PASSWORD, add_staff, staff_member
from tests.web.test_pages import tags

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _post_id(app: FastAPI) -> int:
    [code] = codes(app, ["101-1"])
    r = resident(app, code).post(
        "/v1/board/posts",
        {"kind": "question", "title": "Why so high?", "body": "Our bill doubled.",
         "dong": city.APARTMENT_DONG[1]},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_an_edited_answer_is_marked_and_keeps_its_earlier_version(app: FastAPI) -> None:
    post_id = _post_id(app)
    kim = staff_member(app, "kim", "moderator")
    lee = staff_member(app, "lee", "moderator")
    url = f"/v1/board/posts/{post_id}/answer"
    assert kim.put(url, {"body": "A draft nobody saw."}).status_code == 204
    assert kim.put(url, {"body": "We will **study** it."}).status_code == 204
    assert kim.post(f"{url}/publish").status_code == 204
    public = TestClient(app)
    first = public.get(f"/v1/board/posts/{post_id}").json()["answer"]
    assert (first["edited"], len(first["versions"])) == (False, 1)
    assert lee.put(url, {"body": "We will install it in March."}).status_code == 204
    shown = public.get(f"/v1/board/posts/{post_id}").json()["answer"]
    assert shown["body"] == "We will install it in March." and shown["written_by"] == "lee"
    assert shown["edited"] is True and shown["published_at"] == first["published_at"]
    assert [(v["body"], v["written_by"]) for v in shown["versions"]] == [
        ("We will **study** it.", "kim"),
        ("We will install it in March.", "lee"),
    ]  # what residents were shown, oldest first; the draft is not among them
    page = public.get(f"/board/posts/{post_id}?lang=en").text
    assert "(edited " in page and 'id="answer-versions"' in page
    assert "<strong>study</strong>" in page and "A draft nobody saw" not in page
    every = kim.get(f"{url}/versions").json()  # staff see the drafts too
    assert [(v["version"], v["published_at"] is not None) for v in every] == [
        (1, False), (2, False), (3, True), (4, True),
    ]  # fmt: skip
    assert public.get(f"{url}/versions").status_code == 401


def test_the_staff_page_holds_no_token_and_acts_with_the_sessions_csrf_field(
    app: FastAPI,
) -> None:
    post_id = _post_id(app)
    add_staff(app, "kim", "moderator")
    browser = TestClient(app, follow_redirects=False)
    assert browser.get("/board/staff").status_code == 303  # to the sign-in page
    signin = browser.get("/staff/signin?next=/board/staff")
    assert signin.status_code == 200 and 'name="password"' in signin.text
    done = browser.post(
        "/staff/signin", data={"name": "kim", "password": PASSWORD, "next": "/board/staff"}
    )
    assert done.status_code == 303 and done.headers["location"] == "/board/staff"
    page = browser.get("/board/staff")
    cookie = browser.cookies[staff_auth.COOKIE]
    assert page.status_code == 200 and page.headers["cache-control"] == "private, no-store"
    assert cookie not in page.text and ADMIN not in page.text and "admin_token" not in page.text
    assert "kim" in page.text  # who is signed in, from the session
    token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
    act = {"action": "status", "post_id": str(post_id), "status": "under_review"}
    assert browser.post("/board/staff", data=act).status_code == 403  # no CSRF field
    assert browser.post("/board/staff", data=act | {"csrf_token": token}).status_code == 200
    assert TestClient(app).get(f"/v1/board/posts/{post_id}").json()["status"] == "under_review"
    out = browser.post("/staff/signout", data={"csrf_token": token})
    assert out.status_code == 303
    assert browser.get("/board/staff").status_code == 303


def test_a_staff_member_without_the_role_is_refused_on_the_staff_page(app: FastAPI) -> None:
    park = staff_member(app, "park", "survey_admin")
    page = park.get("/board/staff")
    assert page.status_code == 403 and "moderator" in page.text


def test_the_audit_page_lists_filters_and_links_its_export(app: FastAPI) -> None:
    post_id = _post_id(app)
    kim = staff_member(app, "kim", "moderator")
    kim.put(f"/v1/board/posts/{post_id}/status", {"status": "under_review"})
    assert kim.get("/staff/audit").status_code == 403  # administrators only
    boss = staff_member(app, "boss", "administrator")
    page = boss.get("/staff/audit", params={"actor": "staff:kim", "lang": "en"})
    assert page.status_code == 200 and page.headers["cache-control"] == "private, no-store"
    rows = re.findall(
        r"<tr><td><time[^>]*>[^<]*</time></td><td>([^<]*)</td><td>([^<]*)</td>", page.text
    )
    assert rows == [("staff:kim", "post.status"), ("staff:kim", "staff.signin")]
    assert 'href="/v1/staff/audit.csv?actor=staff%3Akim"' in page.text
    assert TestClient(app, follow_redirects=False).get("/staff/audit").status_code == 303


def test_staff_pages_have_no_inline_script_or_style(app: FastAPI) -> None:
    boss = staff_member(app, "boss", "administrator")
    for path in ("/staff/signin", "/staff/audit", "/board/staff", "/staff/audit?lang=en"):
        r = boss.get(path)
        assert r.status_code == 200, (path, r.text[:300])
        assert "unsafe-inline" not in r.headers["content-security-policy"]
        found = tags(r.text)
        assert all(a.get("src", "").startswith("/static/") for t, a in found if t == "script")
        assert not [t for t, a in found if "style" in a or t == "style"], path
        assert not [a for t, a in found for k in a if k.startswith("on")], path
