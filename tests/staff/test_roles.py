"""Roles are enforced, the actor always comes from the credential, the machines' token still works
(and is recorded as such), on both engines through the real app."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient

from telemetry.db import audit
from tests.alerts_api.conftest import add_alert
from tests.civic.board_api import ADMIN, SITE_TOKENS, codes, resident
from tests.rollup import city
from tests.staff.conftest import Clock
from tests.staff.people import staff_member

MACHINE = {"Authorization": f"Bearer {ADMIN}"}
MAYOR = {"X-Staff-Name": "mayor"}


def _entries(app: FastAPI, **f: str) -> list[dict]:
    with app.state.staff.accounts.engine.connect() as conn:
        return audit.entries(conn, audit.Filter(**f), 1000)


def _post_id(app: FastAPI, household: str = "101-1") -> int:
    [code] = codes(app, [household])
    r = resident(app, code).post(
        "/v1/board/posts",
        {"kind": "question", "title": "Why so high?", "body": "Our bill doubled.",
         "dong": city.APARTMENT_DONG[1]},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _dates(clock: Clock) -> dict[str, str]:
    now = clock()
    return {
        "opens_at": now.isoformat(),
        "closes_at": (now + timedelta(days=14)).isoformat(),
        "publish_at": (now + timedelta(days=21)).isoformat(),
    }


def test_a_moderator_cannot_run_surveys_nor_read_the_audit_log(app: FastAPI, clock: Clock) -> None:
    kim = staff_member(app, "kim", "moderator")
    body = {"template": "energy_policy", **_dates(clock)}
    refused = kim.post("/v1/surveys/admin/rounds", body)
    assert refused.status_code == 403 and "survey_admin" in refused.json()["detail"]
    park = staff_member(app, "park", "survey_admin")
    rid = park.post("/v1/surveys/admin/rounds", body).json()["id"]
    assert kim.post(f"/v1/surveys/admin/rounds/{rid}/open").status_code == 403
    assert park.post(f"/v1/surveys/admin/rounds/{rid}/open").json()["status"] == "open"
    assert kim.get("/v1/staff/audit").status_code == 403
    assert park.get("/v1/staff/audit").status_code == 403
    assert (
        park.put(f"/v1/board/posts/{_post_id(app)}/status", {"status": "closed"}).status_code == 403
    )
    assert kim.get("/v1/admin/agents").status_code == 403  # operators' route
    boss = staff_member(app, "boss", "administrator")  # administrator implies every role
    assert boss.get("/v1/staff/audit").status_code == 200
    assert boss.post(f"/v1/surveys/admin/rounds/{rid}/close").json()["status"] == "closed"
    assert [e["actor"] for e in _entries(app, action="survey.open")] == ["staff:park"]
    assert [e["actor"] for e in _entries(app, action="survey.close")] == ["staff:boss"]


def test_a_facility_manager_opens_only_its_sites(app: FastAPI) -> None:
    fm = staff_member(app, "choi", "facility_manager", sites=("apt",))
    assert [s["id"] for s in fm.get("/v1/facility/sites").json()] == ["apt"]
    assert fm.get("/v1/facility/sites/ind-1/meters").status_code == 403
    db = app.state.db
    mine = add_alert(db, "water-leak", "meter:apt/b1-water", "apt")
    theirs = add_alert(db, "stale", "meter:ind-1/main-elec", "ind-1")
    agent = add_alert(db, "agent-offline", "agent:edge-7", None)
    assert [a["id"] for a in fm.get("/v1/alerts").json()["alerts"]] == [mine]
    assert fm.get(f"/v1/alerts/{theirs}").status_code == 404
    assert fm.get(f"/v1/alerts/{agent}").status_code == 404
    ack = fm.post(f"/v1/alerts/{mine}/ack", {"by": "mayor", "note": "valve closed"})
    assert ack.status_code == 200 and ack.json()["acked_by"] == "choi"
    assert fm.post(f"/v1/alerts/{theirs}/ack", {"note": "not mine"}).status_code == 404
    assert fm.get("/v1/alert-silences").status_code == 403  # operators only
    assert fm.get("/v1/board/moderation/queue").status_code == 403
    # The bearer tokens still work as before.
    apt = {"Authorization": f"Bearer {SITE_TOKENS['apt']}"}
    assert [s["id"] for s in TestClient(app).get("/v1/facility/sites", headers=apt).json()] == [
        "apt"
    ]
    every = TestClient(app).get("/v1/facility/sites", headers=MACHINE).json()
    assert {"apt", "ind-1"} <= {s["id"] for s in every}
    ops = staff_member(app, "ops", "operator")
    assert {a["id"] for a in ops.get("/v1/alerts").json()["alerts"]} == {mine, theirs, agent}
    assert ops.get("/v1/facility/sites").status_code == 403  # an operator has no site


def test_a_header_naming_someone_changes_nothing_in_the_record(app: FastAPI) -> None:
    """`X-Staff-Name: mayor` on every request: the answer, the audit log and the open data
    name the signed-in account (or the machines' token), never the mayor."""
    post_id = _post_id(app)
    kim = staff_member(app, "kim", "moderator")
    assert kim.put(f"/v1/board/posts/{post_id}/answer", {"body": "We will study it."},
                   headers=MAYOR).status_code == 204  # fmt: skip
    assert kim.post(f"/v1/board/posts/{post_id}/answer/publish", headers=MAYOR).status_code == 204
    shown = TestClient(app).get(f"/v1/board/posts/{post_id}").json()["answer"]
    assert shown["written_by"] == "kim"
    other = _post_id(app, "101-2")
    machine = TestClient(app, headers=MACHINE | MAYOR)
    assert machine.put(f"/v1/board/posts/{other}/answer", json={"body": "Scheduled."}).is_success
    assert machine.post(f"/v1/board/posts/{other}/answer/publish").is_success
    exported = TestClient(app).get("/v1/board/open-data/answers.csv").text
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert {(r["post_id"], r["written_by"]) for r in rows} == {
        (str(post_id), "kim"),
        (str(other), "machine:admin-token"),
    }
    as_json = TestClient(app).get("/v1/board/open-data/answers.json").json()
    assert {r["written_by"] for r in as_json} == {"kim", "machine:admin-token"}
    assert "mayor" not in exported + str(as_json)
    entries = _entries(app, action="answer")
    assert {(e["actor"], e["action"], e["target_id"]) for e in entries} == {
        ("staff:kim", "answer.write", str(post_id)),
        ("staff:kim", "answer.publish", str(post_id)),
        ("machine:admin-token", "answer.write", str(other)),
        ("machine:admin-token", "answer.publish", str(other)),
    }
    assert not [e for e in _entries(app) if "mayor" in str(e)]


def test_the_admin_token_still_works_for_machines_and_is_recorded_as_one(
    app: FastAPI, clock: Clock
) -> None:
    machine = TestClient(app, headers=MACHINE)
    body = {"template": "energy_policy", **_dates(clock)}
    rid = machine.post("/v1/surveys/admin/rounds", json=body).json()["id"]
    assert machine.post(f"/v1/surveys/admin/rounds/{rid}/open").json()["status"] == "open"
    clock.advance(days=15)
    moved = machine.post("/v1/surveys/admin/tick").json()
    assert [(r["id"], r["status"]) for r in moved][:1] == [(rid, "closed")]
    assert machine.get("/v1/staff/me").json()["actor"] == "machine:admin-token"
    assert machine.get("/v1/staff/audit").status_code == 200
    wrong = TestClient(app, headers={"Authorization": "Bearer not-the-token"})
    assert wrong.get("/v1/staff/me").status_code == 401
    assert wrong.post(f"/v1/surveys/admin/rounds/{rid}/publish").status_code == 401
    actors = {(e["action"], e["actor"]) for e in _entries(app, action="survey")}
    assert actors == {
        ("survey.create", "machine:admin-token"),
        ("survey.open", "machine:admin-token"),
        ("survey.tick", "machine:admin-token"),
    }
