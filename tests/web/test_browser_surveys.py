"""A survey round in headless Chromium against the whole platform (issue 14's story).

The results page draws the respondents' districts' figures from the public
store; the story recounts the CSV export from the platform database and moves a
clock of its own five months on to see the next round drafted there.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select

from civic.surveys.config import SurveysConfig
from civic.surveys.rounds import add_months
from civic.surveys.service import Surveys, build_surveys, registry_stratum
from telemetry.db.engine import make_engine
from telemetry.db.tables import survey_participations, survey_responses
from telemetry.registry.loader import load_registry
from tests.web.chart_check import charts_missing
from tests.web.civic_browser import (
    axe_serious,
    browser_context,
    issue_codes,
    redeemed,
    screenshots,
    staff,
)
from tests.web.conftest import Portal

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

SITE = "munheung-apt"
OTHER_SITE = "pungam-lh-apt"  # 서구: a district of one respondent in the survey


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
    codes = issue_codes(portal, SITE, [f"303-{101 + i}" for i in range(5)])
    residents = [browser_context(browser, portal) for _ in range(3)]
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
    second_ctx, second = browser_context(browser, portal)
    _redeem_patiently(second, codes[0])
    assert "이미 사용된" in second.inner_text("[role=alert]")
    signed_in = [c for c in first_ctx.cookies() if not c["name"].startswith("survey_edit_")]
    second_ctx.add_cookies(signed_in)  # type: ignore[arg-type]
    second.goto(f"/surveys/{round_id}")  # the household is told it answered: no second form
    assert "이미 이번 회차에 응답했습니다" in second.inner_text(".notice")
    assert second.locator("#survey-form").count() == 0

    # Paper: staff enter a household's form with its code; the same rule holds.
    paper = f"/v1/surveys/admin/rounds/{round_id}/paper"
    refused = s.post(paper, json={"code": codes[1], "answers": ANSWER})
    assert refused.status_code == 409 and "already" in refused.text, refused.text
    assert s.post(paper, json={"code": codes[3], "answers": ANSWER}).status_code == 201
    for code in (codes[4], issue_codes(portal, OTHER_SITE, ["101-101"])[0]):
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
    assert charts_missing(first) == [[]]
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
    # Drafting only: nothing is sealed or opened on this side, so no survey key.
    later: Surveys = build_surveys(
        engine, config, lookup, 5, clock=lambda: moved["now"], seal_key=b""
    )
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
