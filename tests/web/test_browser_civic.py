"""The participation board in headless Chromium against the whole platform.

The platform of tests/web/conftest.py (simulators → … → InfluxDB → rollups →
API) runs with a SQLite platform database; a post's chart refers to a dong's
real public electricity figures.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from stores.timewin import KST
from tests.web.chart_check import charts_missing
from tests.web.civic_browser import (
    STAFF_PASSWORD,
    axe_serious,
    browser_context,
    issue_codes,
    redeem_in_browser,
    screenshots,
    staff,
    staff_account,
    staff_sign_in,
)
from tests.web.conftest import ADMIN_TOKEN, EITHER, Portal, is_figure

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

SITE = "munheung-apt"  # 문흥1동


def _dong_public_by_the_hour(page) -> str:  # type: ignore[no-untyped-def]
    """A post's chart needs public figures: one of the two dongs' hours is withheld with
    하남's district (EITHER)."""
    for dong in EITHER:
        page.goto(f"/dongs/{dong}?every=hour")
        if any(is_figure(c) for c in page.locator("#series-table tbody td").all_inner_texts()):
            return dong
    pytest.fail(f"no public hour today in either dong {list(EITHER)}")


def test_board_story(browser, portal: Portal, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    author_code, fan_code, reporter_code = issue_codes(
        portal, SITE, ["301-101", "301-102", "301동 103호"]
    )
    author_ctx, author = browser_context(browser, portal)
    redeem_in_browser(author, author_code)
    assert author.url.endswith("/board") and "문흥1동 주민으로 참여 중" in author.inner_text(
        ".whoami"
    )

    # A proposal referring to the dong's hourly electricity today (its public figures).
    today = datetime.now(KST).date()
    dong = _dong_public_by_the_hour(author)
    author.goto("/board/new")
    author.select_option("select[name=kind]", "proposal")
    author.fill("input[name=title]", "경로당 옥상에 태양광을 설치합시다")
    author.fill("textarea[name=body]", "오늘 우리 동 **전기 사용**을 보면 낮 시간 부하가 큽니다.")
    author.select_option("select[name=dong]", dong)
    author.check("input[name=chart][value=dong]")
    author.select_option("select[name=every]", "hour")
    author.fill("input[name=start]", today.isoformat())
    author.fill("input[name=end]", (today + timedelta(days=1)).isoformat())
    author.click("main form.stack button[type=submit]")
    author.wait_for_url("**/board/posts/*")
    post_path = author.url.split(portal.base)[1].split("?")[0]
    author.wait_for_selector("#post-chart[data-ready=true] canvas")
    assert charts_missing(author) == [[]]
    cells = author.locator("#snapshot-table tbody td").all_inner_texts()
    assert any(is_figure(c) for c in cells), cells
    assert author.locator(".body strong").inner_text() == "전기 사용"

    fan_ctx, fan = browser_context(browser, portal)
    redeem_in_browser(fan, fan_code)
    fan.goto(post_path)
    fan.click(".actions button")
    assert "공감했습니다" in fan.inner_text(".notice") and "공감 1" in fan.inner_text(".actions")
    fan.click(".actions button")  # a second support by the same resident
    assert "already support" in fan.inner_text("[role=alert]")
    fan.goto(post_path)
    fan.fill(
        "form.stack:not(details form) textarea[name=body]",
        "낮 시간 부하가 큰 건 경로당 냉방 때문일까요?",
    )
    fan.click("form.stack:not(details form) button[type=submit]")
    author.goto(post_path)
    author.click("ol.comments details summary")
    author.fill("ol.comments details textarea", "네, 오후 2~4시가 가장 많습니다.")
    author.click("ol.comments details button[type=submit]")
    assert author.locator("ol.comments > li").count() == 1
    assert "오후 2~4시" in author.inner_text("ol.comments ol.replies")  # the second level

    reporter_ctx, reporter = browser_context(browser, portal)
    redeem_in_browser(reporter, reporter_code)
    reporter.goto(post_path)
    reporter.click("details.report summary")
    reporter.check("input[name=reason][value=spam]")
    reporter.click("details.report button[type=submit]")
    assert "신고를 받았습니다" in reporter.inner_text(".notice")

    # Staff answer, change the status, publish: the staff view, signed in with an account.
    post_id = int(post_path.rsplit("/", 1)[1])
    staff_account(portal, "kim-moderator", "moderator")
    staff_ctx, desk = browser_context(browser, portal)
    desk.goto("/board/staff")  # to the staff sign-in page, then back
    desk.fill("input[name=name]", "kim-moderator")
    desk.fill("input[name=password]", STAFF_PASSWORD)
    desk.click("main form button[type=submit]")
    desk.wait_for_url("**/board/staff")
    assert "kim-moderator" in desk.inner_text(".staff-bar")
    queue = desk.locator("main table tbody tr").all_inner_texts()
    assert len(queue) == 1 and f"post {post_id}" in queue[0] and "광고·도배 1" in queue[0]
    mine = desk.locator(f"section[aria-labelledby=staff-post-{post_id}]")
    mine.locator("details summary").click()
    mine.locator("textarea[name=body]").fill("내년 상반기 시범 사업 대상으로 검토하겠습니다.")
    with desk.expect_navigation():
        mine.locator("details form.stack button[type=submit]").click()
    assert "answer: post" in desk.inner_text("[role=status]")
    author.reload()
    assert "아직 공개된 답변이 없습니다" in author.inner_text("main")  # written, not published
    mine = desk.locator(f"section[aria-labelledby=staff-post-{post_id}]")
    mine.locator("select[name=status]").select_option("accepted")
    with desk.expect_navigation():
        mine.locator("form.controls button[type=submit]").click()
    mine = desk.locator(f"section[aria-labelledby=staff-post-{post_id}]")
    mine.locator("details summary").click()
    with desk.expect_navigation():
        mine.locator("form.inline button[type=submit]").click()
    assert "publish: post" in desk.inner_text("[role=status]")
    author.reload()
    assert "시범 사업 대상으로 검토" in author.inner_text(".answer")
    badge = author.locator(".badge").first
    assert badge.inner_text() == "채택" and "status-accepted" in badge.get_attribute("class")
    assert badge.evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"
    author.wait_for_selector("#post-chart[data-ready=true] canvas")

    # A code works once, also from another browser.
    again_ctx, again = browser_context(browser, portal)
    redeem_in_browser(again, author_code)
    assert "이미 사용된" in again.inner_text("[role=alert]")

    author.goto("/board")
    assert author.locator(".post-item").filter(has_text="경로당 옥상").count() == 1
    shots = tmp_path / "shots"
    screenshots(author, "board-list", shots)
    author.goto(post_path)
    author.wait_for_selector("#post-chart[data-ready=true] canvas")
    screenshots(author, "board-post", shots)
    assert [p.csp_errors for p in (author, fan, reporter, again, desk)] == [[], [], [], [], []]

    cookies = author_ctx.cookies()
    pages = ("/board", post_path, "/board/new", "/board/redeem", "/board/answer-times")
    for path in (*pages, "/staff/signin"):
        assert axe_serious(browser, portal, path, cookies) == [], path
    for path in ("/board/staff",):
        assert axe_serious(browser, portal, path, staff_ctx.cookies()) == [], path
    for ctx in (author_ctx, fan_ctx, reporter_ctx, again_ctx, staff_ctx):
        ctx.close()


def test_staff_sign_in_and_audit_pages(browser, portal: Portal, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """An administrator signs in on the staff page, reads the audit log (every staff action
    of the run, the machines' token's among them), filters it and finds the CSV export."""
    # A few actions to read back: a staff member's, a site manager's, a machine's.
    s = staff(portal, "lee-survey")
    now = datetime.now(KST)
    dates = {"opens_at": (now + timedelta(days=7)).isoformat(),
             "closes_at": (now + timedelta(days=21)).isoformat(),
             "publish_at": (now + timedelta(days=28)).isoformat()}  # fmt: skip
    drafted = s.post("/v1/surveys/admin/rounds", json={"template": "energy_policy", **dates})
    assert drafted.status_code == 201, drafted.text
    issue_codes(portal, SITE, ["302-101", "302-102"])
    machine = {"Authorization": f"Bearer {ADMIN_TOKEN}", "X-Staff-Name": "mayor"}
    silence = {"matchers": {"site": SITE}, "starts_at": now.isoformat(),
               "ends_at": (now + timedelta(hours=2)).isoformat(), "comment": "점검"}  # fmt: skip
    added = httpx.post(f"{portal.base}/v1/alert-silences", json=silence, headers=machine)
    assert added.status_code == 201, added.text
    staff_account(portal, "park-admin", "administrator")
    ctx, page = browser_context(browser, portal)
    page.goto("/staff/signin")
    shots = tmp_path / "shots"
    screenshots(page, "staff-signin", shots)
    page.fill("input[name=name]", "park-admin")
    page.fill("input[name=password]", "not the password")
    page.click("main form button[type=submit]")
    assert "wrong" in page.inner_text("[role=alert]")
    staff_sign_in(page, "park-admin")
    page.goto("/staff/audit")
    rows = page.locator("#audit-table tbody tr").all_inner_texts()
    assert any("staff:park-admin" in r and "staff.signin" in r for r in rows), rows
    assert any("anonymous" in r and "staff.signin_refused" in r for r in rows), rows
    assert any("machine:admin-token" in r and "silence.add" in r for r in rows), rows
    assert any("site:munheung-apt" in r and "codes.issue" in r for r in rows), rows
    assert any("staff:lee-survey" in r and "survey.create" in r for r in rows), rows
    assert not any("mayor" in r for r in rows)
    page.fill("input[name=actor]", "staff:park-admin")
    with page.expect_navigation():
        page.click("form[role=search] button[type=submit]")
    filtered = page.locator("#audit-table tbody tr").all_inner_texts()
    assert filtered and all("staff:park-admin" in r for r in filtered), filtered
    href = page.get_attribute("#audit-csv", "href")
    assert href == "/v1/staff/audit.csv?actor=staff%3Apark-admin"
    exported = page.request.get(href)
    assert exported.ok and exported.text().startswith("id,at,actor,action")
    page.goto("/staff/audit")
    screenshots(page, "staff-audit", shots)
    assert page.csp_errors == []
    for path in ("/staff/audit",):
        assert axe_serious(browser, portal, path, ctx.cookies()) == [], path
    ctx.close()
