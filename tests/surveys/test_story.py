"""The whole survey story over HTTP, on SQLite and PostgreSQL.

Staff draft and open a round; three verified residents answer and one edits
before the close; the same household from another browser is refused, online
and on paper; staff enter paper responses; nothing is visible while the round
is open; after the close and publication a below-k cell is withheld (and its
complement), the CSV export matches the database, and the next round is
drafted five months after the first opened.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from api import session
from civic.board.codes import ParticipationCodes
from telemetry.db.tables import survey_participations, survey_responses
from tests.support.tenancy import lived
from tests.surveys.conftest import ADMIN, DONGS, Clock, answers, signed_in

STAFF = {"Authorization": f"Bearer {ADMIN}"}


def _browser(app: FastAPI, engine: Engine, resident_id: int | None = None) -> TestClient:
    return TestClient(app) if resident_id is None else signed_in(app, engine, resident_id)


def _residents(codes: ParticipationCodes) -> tuple[list[int], dict[str, str]]:
    """Three verified residents at apt-a; paper codes for households at apt-b and ind-1."""
    online = codes.issue(
        "apt-a",
        DONGS["apt-a"],
        lived(codes.engine, "apt-a", ["101-1", "101-2", "101-3"]),
        batch="r1",
    )
    paper = codes.issue(
        "apt-b", DONGS["apt-b"], lived(codes.engine, "apt-b", ["p1", "p2"]), batch="r1"
    ) + codes.issue("ind-1", DONGS["ind-1"], lived(codes.engine, "ind-1", ["p3"]), batch="r1")
    ids = [codes.redeem(c.code).id for c in online]
    return ids, {c.household: c.code for c in paper} | {"101-1": online[0].code}


def test_survey_story(
    app: FastAPI, engine: Engine, codes: ParticipationCodes, clock: Clock
) -> None:
    ids, paper_codes = _residents(codes)
    staff = _browser(app, engine)
    now = clock()
    dates = {
        "opens_at": now.isoformat(),
        "closes_at": (now + timedelta(days=14)).isoformat(),
        "publish_at": (now + timedelta(days=21)).isoformat(),
    }
    created = staff.post(
        "/v1/surveys/admin/rounds", json={"template": "energy_policy", **dates}, headers=STAFF
    )
    assert created.status_code == 201, created.text
    rid = created.json()["id"]
    assert staff.get(f"/v1/surveys/rounds/{rid}").status_code == 404  # a draft is staff's only
    assert staff.post(f"/v1/surveys/admin/rounds/{rid}/open").status_code == 401
    assert (
        staff.post(f"/v1/surveys/admin/rounds/{rid}/open", headers=STAFF).json()["status"] == "open"
    )
    questions = staff.get(f"/v1/surveys/rounds/{rid}").json()["questionnaire"]
    assert questions["sections"][0]["questions"][0]["id"] == "data_useful"

    # Three residents answer; the first changes their mind before the close.
    browsers = [_browser(app, engine, i) for i in ids]
    forged = browsers[0].post(
        f"/v1/surveys/rounds/{rid}/response",
        json={"answers": answers()},
        headers={session.CSRF_HEADER: "not-the-token"},
    )
    assert forged.status_code == 403  # a cookie-authenticated write needs the CSRF token
    given = [answers("yes", 4), answers("no", 2), answers("yes", 5, suggestion="단열 지원")]
    for b, a in zip(browsers, given, strict=True):
        done = b.post(f"/v1/surveys/rounds/{rid}/response", json={"answers": a})
        assert done.status_code == 201, done.text
    edited = browsers[0].put(
        f"/v1/surveys/rounds/{rid}/response", json={"answers": answers("unsure", 3)}
    )
    assert edited.status_code == 200, edited.text
    assert (
        browsers[0].get(f"/v1/surveys/rounds/{rid}/response").json()["answers"]["policy_support"]
        == "unsure"
    )

    # The same household again: another browser of the same account, and on paper.
    again = _browser(app, engine, ids[0]).post(
        f"/v1/surveys/rounds/{rid}/response", json={"answers": answers()}
    )
    assert again.status_code == 409 and again.json()["type"] == "/problems/survey-already-answered"
    no_token = _browser(app, engine, ids[0]).put(
        f"/v1/surveys/rounds/{rid}/response", json={"answers": answers()}
    )
    assert no_token.status_code == 404  # the edit token lives only in the first browser
    on_paper = staff.post(
        f"/v1/surveys/admin/rounds/{rid}/paper",
        json={"code": paper_codes["101-1"], "answers": answers()},
        headers=STAFF,
    )
    assert on_paper.status_code == 409

    # Bad answers are refused naming the question.
    wrong = browsers[1].put(
        f"/v1/surveys/rounds/{rid}/response",
        json={"answers": {"data_useful": 9, "policy_support": "yes"}},
    )
    # Answers the body's schema allows, which do not fit the round's questions: a conflict.
    assert wrong.status_code == 409 and wrong.json()["errors"][0]["field"] == "data_useful"

    # Paper responses: two at apt-b (district 29155), one at ind-1 (29170, industrial).
    for household, a in (
        ("p1", answers("yes", 4)),
        ("p2", answers("no", 1)),
        ("p3", answers("yes", 3)),
    ):
        paper = staff.post(
            f"/v1/surveys/admin/rounds/{rid}/paper",
            json={"code": paper_codes[household], "answers": a},
            headers=STAFF,
        )
        assert paper.status_code == 201, paper.text

    # Nothing while open: not the results, not the exports, not a count.
    for path in ("results", "export.json", "export.csv"):
        hidden = staff.get(f"/v1/surveys/rounds/{rid}/{path}")
        assert hidden.status_code == 409 and "respondents" not in hidden.text
    assert staff.get(f"/v1/surveys/admin/rounds/{rid}/results", headers=STAFF).status_code == 409

    clock.advance(days=14)
    assert (
        browsers[1]
        .put(f"/v1/surveys/rounds/{rid}/response", json={"answers": answers()})
        .status_code
        == 409
    )
    ticked = staff.post("/v1/surveys/admin/tick", headers=STAFF).json()
    assert [(r["id"], r["status"]) for r in ticked] == [(rid, "closed")]
    assert staff.get(f"/v1/surveys/rounds/{rid}/results").status_code == 409  # closed, unpublished
    staff_view = staff.get(f"/v1/surveys/admin/rounds/{rid}/results", headers=STAFF)
    assert staff_view.status_code == 200
    assert staff.post(f"/v1/surveys/admin/rounds/{rid}/publish", headers=STAFF).status_code == 200

    results = staff.get(f"/v1/surveys/rounds/{rid}/results").json()
    support = next(q for q in results["questions"] if q["question"] == "policy_support")
    assert support["all"]["respondents"] == 6
    assert support["all"]["counts"] == {"yes": 3, "no": 2, "unsure": 1}
    by_district = support["by_district"]
    assert by_district["29140"]["counts"] == {"yes": 1, "no": 1, "unsure": 1}
    assert by_district["29155"]["suppressed"] and by_district["29170"]["suppressed"]
    # Industrial has one respondent (below k); apartments (5) minus the whole would reveal it.
    by_type = support["by_building_type"]
    assert by_type["industrial"]["reason"].startswith("fewer")
    assert by_type["apartment"]["suppressed"] and "subtraction" in by_type["apartment"]["reason"]

    _export_matches_database(staff, engine, rid)

    # The next round opens five months after the first; it is drafted 14 days before that.
    due = datetime(2027, 5, 1, tzinfo=UTC) - timedelta(days=14)
    clock.now = due - timedelta(seconds=1)
    assert staff.post("/v1/surveys/admin/tick", headers=STAFF).json() == []
    clock.now = due
    drafted = staff.post("/v1/surveys/admin/tick", headers=STAFF).json()
    assert [(r["number"], r["status"], r["opens_at"][:10]) for r in drafted] == [
        (2, "draft", "2027-05-01")
    ]


def _export_matches_database(client: TestClient, engine: Engine, rid: int) -> None:
    """Every published count of the CSV, recounted from the stored responses."""
    exported = list(
        csv.DictReader(io.StringIO(client.get(f"/v1/surveys/rounds/{rid}/export.csv").text))
    )
    with engine.connect() as conn:
        rows = conn.execute(
            select(survey_responses).where(survey_responses.c.round_id == rid)
        ).all()
        participations = conn.execute(
            select(func.count()).select_from(survey_participations)
        ).scalar()
    assert participations == len(rows) == 6
    checked = 0
    for line in exported:
        if line["suppressed"] == "1" or line["question_id"] not in (
            "policy_support",
            "data_useful",
        ):
            continue
        if line["item"] in ("mean", "median"):
            continue
        group = [
            r
            for r in rows
            if line["group_kind"] == "all" or getattr(r, line["group_kind"]) == line["group"]
        ]
        recount = Counter(str(r.answers[line["question_id"]]) for r in group)
        assert int(line["count"]) == recount[line["item"]], line
        assert int(line["respondents"]) == len(group), line
        checked += 1
    assert checked == 3 + 3 + 5 + 5  # policy_support and data_useful: whole and district 29140
    export = client.get(f"/v1/surveys/rounds/{rid}/export.json").json()
    assert export["data_dictionary"][0]["question_id"] == "data_useful"
    rates = export["methodology"]["response_rate_by_district"]
    # 29140's three responses could be shown (its questions' respondents are), but the
    # greedy secondary suppression withholds them: it finds a safe pattern, not the
    # smallest one (docs/DECISIONS.md "Disclosure control", known limits).
    assert rates["29140"]["rule"] == "protects_another"
    assert rates["29170"]["suppressed"] and rates["29170"]["rule"] == "too_few"
