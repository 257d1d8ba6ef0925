"""The participation board and a survey round in headless Chromium against the whole platform.

The platform of tests/web/conftest.py (simulators → … → InfluxDB → rollups →
API) runs with a SQLite platform database; a post's chart refers to a dong's
real public electricity figures, and the survey results page draws the
respondents' districts' figures from the same public store. The survey story
recounts the CSV export from the platform database and moves a clock of its
own five months on to see the next round drafted there.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select

from api.civic.surveys import Surveys, build_surveys, registry_stratum
from api.civic.surveys_rounds import add_months
from api.settings import SurveysConfig
from api.timewin import KST
from telemetry.db.engine import make_engine
from telemetry.db.tables import survey_participations, survey_responses
from telemetry.registry.loader import load_registry
from tests.web.civic_browser import (
    axe_serious,
    issue_codes,
    redeemed,
    screenshots,
    staff,
)
from tests.web.conftest import ADMIN_TOKEN, Portal

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

SITE, DONG = "munheung-apt", "2917065600"  # 문흥1동: published figures
OTHER_SITE = "pungam-lh-apt"  # 서구: a district of one respondent in the survey


def _context(browser, portal: Portal):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=portal.base, locale="ko-KR")
    page = context.new_page()
    page.csp_errors = []  # type: ignore[attr-defined]
    page.on(
        "console", lambda m: "Content Security Policy" in m.text and page.csp_errors.append(m.text)
    )
    return context, page


def _redeem_in_browser(page, code: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/board/redeem")
    page.fill("input[name=code]", code)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()


def test_board_story(browser, portal: Portal, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    author_code, fan_code, reporter_code = issue_codes(portal, SITE, ["101-1", "101-2", "101-3"])
    author_ctx, author = _context(browser, portal)
    _redeem_in_browser(author, author_code)
    assert author.url.endswith("/board") and "문흥1동 주민으로 참여 중" in author.inner_text(
        ".whoami"
    )

    # A proposal referring to the dong's hourly electricity today (its public figures).
    today = datetime.now(KST).date()
    author.goto("/board/new")
    author.select_option("select[name=kind]", "proposal")
    author.fill("input[name=title]", "경로당 옥상에 태양광을 설치합시다")
    author.fill("textarea[name=body]", "오늘 우리 동 **전기 사용**을 보면 낮 시간 부하가 큽니다.")
    author.select_option("select[name=dong]", DONG)
    author.check("input[name=chart][value=dong]")
    author.select_option("select[name=every]", "hour")
    author.fill("input[name=start]", today.isoformat())
    author.fill("input[name=end]", (today + timedelta(days=1)).isoformat())
    author.click("main form.stack button[type=submit]")
    author.wait_for_url("**/board/posts/*")
    post_path = author.url.split(portal.base)[1].split("?")[0]
    author.wait_for_selector("#post-chart[data-ready=true] canvas")
    cells = author.locator("#snapshot-table tbody td").all_inner_texts()
    assert any(c.replace(",", "").replace(".", "").isdigit() for c in cells), cells
    assert author.locator(".body strong").inner_text() == "전기 사용"

    fan_ctx, fan = _context(browser, portal)
    _redeem_in_browser(fan, fan_code)
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

    reporter_ctx, reporter = _context(browser, portal)
    _redeem_in_browser(reporter, reporter_code)
    reporter.goto(post_path)
    reporter.click("details.report summary")
    reporter.check("input[name=reason][value=spam]")
    reporter.click("details.report button[type=submit]")
    assert "신고를 받았습니다" in reporter.inner_text(".notice")

    # Staff answer, change the status, publish: the staff view with the operator's token.
    post_id = int(post_path.rsplit("/", 1)[1])
    staff_ctx, desk = _context(browser, portal)
    desk.goto("/board/staff")
    desk.fill("input[name=admin_token]", ADMIN_TOKEN)
    desk.click("main form button[type=submit]")
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
    again_ctx, again = _context(browser, portal)
    _redeem_in_browser(again, author_code)
    assert "used" in again.inner_text("[role=alert]")

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
    for path in (*pages, "/board/staff"):
        assert axe_serious(browser, portal, path, cookies) == [], path
    for ctx in (author_ctx, fan_ctx, reporter_ctx, again_ctx, staff_ctx):
        ctx.close()


ANSWER = {"data_useful": 4, "policy_support": "yes", "policy_ratings": {"solar": 5}}


def _answer_in_browser(page, round_id: int, support: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"/surveys/{round_id}")
    page.check("input[name=data_useful][value='4']")
    page.check("input[name=data_used_for][value=compare]")
    page.check(f"input[name=policy_support][value={support}]")
    page.check("input[name='policy_ratings.solar'][value='5']")
    page.fill("input[name=monthly_bill]", "52")
    page.click("#survey-form button[type=submit]")
    page.wait_for_load_state()


def _redeem_patiently(page, code: str) -> None:  # type: ignore[no-untyped-def]
    """A code redeemed in the browser, waiting out the per-address limit of code tries."""
    for _ in range(20):
        page.goto("/board/redeem")
        page.fill("input[name=code]", code)
        with page.expect_response(lambda r: r.request.method == "POST") as sent:
            page.click("main form button[type=submit]")
        page.wait_for_load_state()
        if sent.value.status != 429:
            return
        page.wait_for_timeout(1000 * float(sent.value.headers.get("retry-after", "5")))
    raise AssertionError(f"code tries stayed rate-limited: {page.url}")


def _export_matches_database(portal: Portal, engine: Engine, round_id: int) -> list[dict]:
    """Every published count of the CSV export, recounted from the stored responses."""
    body = httpx.get(f"{portal.base}/v1/surveys/rounds/{round_id}/export.csv", timeout=30).text
    exported = list(csv.DictReader(io.StringIO(body)))
    with engine.connect() as conn:
        rows = conn.execute(
            select(survey_responses).where(survey_responses.c.round_id == round_id)
        ).all()
        households = conn.execute(
            select(func.count())
            .select_from(survey_participations)
            .where(survey_participations.c.round_id == round_id)
        ).scalar()
    assert households == len(rows) == 6  # three online, one paper, two over the API
    checked = 0
    for line in exported:
        item, qid = line["item"], line["question_id"]
        if line["suppressed"] == "1" or not line["count"]:
            continue
        kind = line["group_kind"]
        stored = [r.answers for r in rows if kind == "all" or getattr(r, kind) == line["group"]]
        assert int(line["respondents"]) == sum(qid in a for a in stored), line
        if "=" in item:  # a matrix row's point: "row=point"
            row, point = item.split("=")
            given = [str(a[qid][row]) for a in stored if row in a.get(qid, {})]
            recount = given.count(point)
        else:
            values = [a[qid] if isinstance(a[qid], list) else [a[qid]] for a in stored if qid in a]
            recount = sum(item in map(str, v) for v in values)
        assert int(line["count"]) == recount, line
        checked += 1
    assert checked >= 16, exported  # policy_support, data_useful, the matrix: whole, by type
    return exported


def test_survey_story(browser, portal: Portal, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    dates = {
        "template": "energy_policy",
        "opens_at": (now - timedelta(minutes=1)).isoformat(),
        "closes_at": (now + timedelta(days=14)).isoformat(),
        "publish_at": (now + timedelta(days=21)).isoformat(),
    }
    s = staff(portal)
    round_id = s.post("/v1/surveys/admin/rounds", json=dates).json()["id"]
    assert s.post(f"/v1/surveys/admin/rounds/{round_id}/open").json()["status"] == "open"

    # Three residents, each redeeming their household's code in a browser of their own.
    codes = issue_codes(portal, SITE, [f"201-{i}" for i in range(5)])
    residents = [_context(browser, portal) for _ in range(3)]
    for (_ctx, page), code in zip(residents, codes, strict=False):
        _redeem_patiently(page, code)
        assert "문흥1동 주민으로 참여 중" in page.inner_text(".whoami")
    first_ctx, first = residents[0]
    first.goto(f"/surveys/{round_id}")
    assert first.locator("#q-policy_why_not").is_hidden()  # its condition: support "no"
    first.check("input[name=policy_support][value=no]")
    assert first.locator("#q-policy_why_not").is_visible()
    _answer_in_browser(first, round_id, "yes")
    assert "응답을 저장했습니다" in first.inner_text(".notice")
    _answer_in_browser(first, round_id, "unsure")  # an edit before the close
    assert "응답을 고쳤습니다" in first.inner_text(".notice")
    assert first.locator("input[name=policy_support][value=unsure]").is_checked()
    screenshots(first, "survey", tmp_path / "shots")
    for _ctx, page in residents[1:]:
        _answer_in_browser(page, round_id, "yes")
        assert "응답을 저장했습니다" in page.inner_text(".notice")

    # The first household again in another browser: its code is spent, and its session
    # (without the edit capability, which stays in the first browser) cannot answer twice.
    second_ctx, second = _context(browser, portal)
    _redeem_patiently(second, codes[0])
    assert "used" in second.inner_text("[role=alert]")
    signed_in = [c for c in first_ctx.cookies() if not c["name"].startswith("survey_edit_")]
    second_ctx.add_cookies(signed_in)  # type: ignore[arg-type]
    _answer_in_browser(second, round_id, "no")
    assert "already answered" in second.inner_text("[role=alert]")

    # Paper: staff enter a household's form with its code; the same rule holds.
    paper = f"/v1/surveys/admin/rounds/{round_id}/paper"
    refused = s.post(paper, json={"code": codes[1], "answers": ANSWER})
    assert refused.status_code == 409 and "already" in refused.text, refused.text
    assert s.post(paper, json={"code": codes[3], "answers": ANSWER}).status_code == 201
    for code in (codes[4], issue_codes(portal, OTHER_SITE, ["301-1"])[0]):
        client, _token = redeemed(portal, code)
        r = client.post(f"/v1/surveys/rounds/{round_id}/response", json={"answers": ANSWER})
        assert r.status_code == 201, r.text
        client.close()

    # While open: no results, no export, no count, not even for staff.
    first.goto(f"/surveys/{round_id}/results")
    assert "마감되고 공개된 뒤" in first.inner_text("main") and first.locator("table").count() == 0
    for path in ("results", "export.csv"):
        hidden = httpx.get(f"{portal.base}/v1/surveys/rounds/{round_id}/{path}", timeout=30)
        assert hidden.status_code == 409, (path, hidden.text)
    assert s.get(f"/v1/surveys/admin/rounds/{round_id}/results").status_code == 409

    for action in ("close", "publish"):
        assert s.post(f"/v1/surveys/admin/rounds/{round_id}/{action}").status_code == 200
    first.goto(f"/surveys/{round_id}/results")
    rows = first.locator("#res-policy_support + .scroll tbody tr").all_inner_texts()
    assert rows[0].startswith("전체") and "\t6\t" in rows[0], rows
    withheld = [r for r in rows if "비공개" in r]
    assert withheld and any(r.startswith("서구") for r in withheld), rows
    first.wait_for_selector("#trend-chart[data-ready=true] canvas")
    assert first.locator("#trend-table thead th").count() == 3  # the period, 북구 and 서구
    first.emulate_media(media="print")
    assert first.locator("header nav").is_hidden() and first.locator("#trend-chart").is_hidden()
    first.emulate_media(media="screen")
    screenshots(first, "survey-results", tmp_path / "shots")

    engine = make_engine(portal.platform.db_url or "")
    try:
        exported = _export_matches_database(portal, engine, round_id)
        support = {
            e["item"]: int(e["count"])
            for e in exported
            if e["question_id"] == "policy_support" and e["group_kind"] == "all"
        }
        assert support["yes"] == 5 and support["unsure"] == 1, support  # the edit counts
        assert any(e["group_kind"] == "district" and e["suppressed"] == "1" for e in exported)
        _next_round_five_months_later(portal, engine, s, round_id)
    finally:
        engine.dispose()

    cookies = first_ctx.cookies()
    for path in ("/surveys", f"/surveys/{round_id}", f"/surveys/{round_id}/results"):
        assert axe_serious(browser, portal, path, cookies) == [], path
    pages = [page for _ctx, page in residents] + [second]
    assert [p.csp_errors for p in pages] == [[]] * len(pages)
    for ctx in [c for c, _page in residents] + [second_ctx]:
        ctx.close()
    s.close()


def _next_round_five_months_later(portal: Portal, engine: Engine, s, round_id: int) -> None:  # type: ignore[no-untyped-def]
    """The staff tick on today's clock drafts nothing; on a clock moved five months, the next.

    The platform's API process keeps the real clock (it has no hook to move it), so the
    moved clock ticks here, through the same surveys code, on the platform's database;
    the staff API then shows the draft the platform will hand to staff for review."""
    assert s.post("/v1/surveys/admin/tick").json() == []
    last = s.get("/v1/surveys/admin/rounds").json()[-1]
    assert last["id"] == round_id and last["status"] == "published", last

    moved = {"now": datetime.now(UTC)}
    config = SurveysConfig()
    lookup = registry_stratum(load_registry(portal.platform.config))
    later: Surveys = build_surveys(engine, config, lookup, 5, clock=lambda: moved["now"])
    opens = later.rounds.get(round_id).opens_at
    due = add_months(opens, config.interval_months) - timedelta(days=config.review_lead_days)
    moved["now"] = due - timedelta(seconds=1)
    assert later.rounds.tick() == []
    moved["now"] = due
    drafted = later.rounds.tick()
    assert [(r.number, r.status.value) for r in drafted] == [(last["number"] + 1, "draft")]

    seen = s.get("/v1/surveys/admin/rounds").json()[-1]
    expected = add_months(opens, 5).date().isoformat()
    assert (seen["id"], seen["status"], seen["opens_at"][:10]) == (
        drafted[0].id,
        "draft",
        expected,
    )
    public = httpx.get(f"{portal.base}/v1/surveys/rounds", timeout=30).json()
    assert drafted[0].id not in [r["id"] for r in public]  # a draft, for staff only
    assert s.post("/v1/surveys/admin/tick").json() == []  # drafted once
