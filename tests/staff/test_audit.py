"""Every staff action is in the audit log with its actor, time and target; the log cannot be
changed; it reads back through its route, its CSV export and its page (both engines)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, text, update
from sqlalchemy.exc import DBAPIError

from telemetry.db import audit
from telemetry.db.tables import audit_log
from tests.alerts_api.conftest import add_alert
from tests.civic.board_api import codes, resident
from tests.rollup import city
from tests.staff.conftest import Clock
from tests.staff.people import StaffBrowser, staff_member
from tests.support.tenancy import lived
from tests.surveys.conftest import answers

ROLE_OF = {"moderator": "mod", "survey_admin": "sur", "code_issuer": "iss", "operator": "ops"}


@dataclass
class World:
    app: FastAPI
    clock: Clock

    def staff(self, role: str) -> StaffBrowser:
        return staff_member(self.app, ROLE_OF[role], role)

    def post(self, household: str = "101-1") -> tuple[int, int]:
        """A resident's post and a comment on it: (post id, comment id)."""
        [code] = codes(self.app, [household])
        author = resident(self.app, code)
        r = author.post("/v1/board/posts", {"kind": "data_request", "title": "Night use?",
                                            "body": "Please share it.", "dong": city.APARTMENT_DONG[1]})  # fmt: skip
        assert r.status_code == 201, r.text
        post_id = r.json()["id"]
        c = author.post(f"/v1/board/posts/{post_id}/comments", {"body": "Me too"})
        assert c.status_code == 201, c.text
        return post_id, c.json()["id"]

    def round(self, status: str = "draft") -> int:
        s = self.staff("survey_admin")
        now = self.clock()
        r = s.post("/v1/surveys/admin/rounds", {"template": "energy_policy",
                   "opens_at": now.isoformat(), "closes_at": (now + timedelta(days=14)).isoformat(),
                   "publish_at": (now + timedelta(days=21)).isoformat()})  # fmt: skip
        rid = r.json()["id"]
        for step in {"draft": [], "open": ["open"], "closed": ["open", "close"]}[status]:
            assert s.post(f"/v1/surveys/admin/rounds/{rid}/{step}").is_success
        return rid


def ok(r: Any) -> Any:
    assert r.status_code < 300, r.text
    return r


Act = Callable[[World], tuple[Callable[[], Any], str, str, str | None, str]]


def _moderate(verb: str, kind: str, before: tuple[str, ...] = ()) -> Act:
    def act(w: World) -> tuple[Callable[[], Any], str, str, str | None, str]:
        post_id, comment_id = w.post()
        item = post_id if kind == "post" else comment_id
        mod = w.staff("moderator")
        for step in before:
            ok(mod.post(f"/v1/board/moderation/{kind}/{item}/{step}", {"note": "first"}))
        target = f"author_of_{kind}" if "block" in verb else kind
        action = verb.replace("-author", "")
        return (
            lambda: ok(mod.post(f"/v1/board/moderation/{kind}/{item}/{verb}", {"note": "why"})),
            f"moderation.{action}", target, str(item), "staff:mod",
        )  # fmt: skip

    return act


def _status(w: World) -> Any:
    post_id, _ = w.post()
    mod = w.staff("moderator")
    do = lambda: ok(mod.put(f"/v1/board/posts/{post_id}/status", {"status": "under_review"}))  # noqa: E731
    return do, "post.status", "post", str(post_id), "staff:mod"


def _answer(times: int, publish: bool) -> Act:
    def act(w: World) -> Any:
        post_id, _ = w.post()
        mod = w.staff("moderator")
        for i in range(times - 1):
            ok(mod.put(f"/v1/board/posts/{post_id}/answer", {"body": f"draft {i}"}))

        def do() -> Any:
            if publish:
                return ok(mod.post(f"/v1/board/posts/{post_id}/answer/publish"))
            return ok(mod.put(f"/v1/board/posts/{post_id}/answer", {"body": "final"}))

        action = "answer.publish" if publish else ("answer.edit" if times > 1 else "answer.write")
        return do, action, "post", str(post_id), "staff:mod"

    return act


def _dataset(w: World) -> Any:
    post_id, _ = w.post()
    mod = w.staff("moderator")

    def do() -> Any:
        return ok(mod.client.post(
            "/v1/board/datasets", params={"title": "Night use", "filename": "night.csv",
                                          "post_id": post_id},
            content=b"hour,kwh\n1,2\n", headers={"Content-Type": "text/csv",
                                                  "X-CSRF-Token": mod.csrf or ""}))  # fmt: skip

    return do, "dataset.publish", "dataset", None, "staff:mod"


def _codes(revoke: bool) -> Act:
    def act(w: World) -> Any:
        iss = w.staff("code_issuer")
        if not revoke:
            lived(w.app.state.db, "apt", ["201-2"])
            household = {"site": "apt", "households": ["201-2"]}
            return (
                (lambda: ok(iss.post("/v1/board/codes", household))),
                "codes.issue",
                "site",
                ("apt"),
                "staff:iss",
            )
        [tenancy] = lived(w.app.state.db, "apt", ["201-1"])
        ok(iss.post("/v1/board/codes", {"site": "apt", "households": ["201-1"]}))
        lost = {"site": "apt", "household": "201동 1호"}
        return (
            (lambda: ok(iss.post("/v1/board/codes/revoke", lost))),
            "codes.revoke",
            "tenancy",
            str(tenancy.tenancy_id),
            "staff:iss",
        )

    return act


def _survey(step: str) -> Act:
    def act(w: World) -> Any:
        s = w.staff("survey_admin")
        if step == "create":
            return (lambda: w.round()), "survey.create", "survey_round", None, "staff:sur"
        before = {"open": "draft", "reschedule": "draft", "close": "open", "publish": "closed",
                  "paper": "open"}[step]  # fmt: skip
        rid = w.round(before)
        if step == "reschedule":
            now = w.clock()
            dates = {"opens_at": (now + timedelta(days=1)).isoformat(),
                     "closes_at": (now + timedelta(days=9)).isoformat(),
                     "publish_at": (now + timedelta(days=10)).isoformat()}  # fmt: skip
            do = lambda: ok(s.put(f"/v1/surveys/admin/rounds/{rid}/dates", dates))  # noqa: E731
        elif step == "paper":
            [code] = codes(w.app, ["202-9"])
            body = {"code": code, "answers": answers()}
            do = lambda: ok(s.post(f"/v1/surveys/admin/rounds/{rid}/paper", body))  # noqa: E731
        else:
            do = lambda: ok(s.post(f"/v1/surveys/admin/rounds/{rid}/{step}"))  # noqa: E731
        return do, f"survey.{step}", "survey_round", str(rid), "staff:sur"

    return act


def _text_approve(w: World) -> Any:
    rid = w.round("open")
    [code] = codes(w.app, ["301-1"])
    who = resident(w.app, code)
    ok(who.post(f"/v1/surveys/rounds/{rid}/response", {"answers": answers(suggestion="단열")}))
    s = w.staff("survey_admin")
    ok(s.post(f"/v1/surveys/admin/rounds/{rid}/close"))
    [pending] = ok(s.get(f"/v1/surveys/admin/rounds/{rid}/texts")).json()
    url = f"/v1/surveys/admin/rounds/{rid}/texts/{pending['response_id']}/{pending['question_id']}/approve"
    return (
        (lambda: ok(s.post(url))),
        "survey.text_approve",
        "survey_response",
        pending["response_id"],
        "staff:sur",
    )


def _tick(w: World) -> Any:
    rid = w.round("open")
    s = w.staff("survey_admin")

    def do() -> Any:
        w.clock.advance(days=15)
        return ok(s.post("/v1/surveys/admin/tick"))

    del rid
    return do, "survey.tick", "survey_round", None, "staff:sur"


def _alert_ack(w: World) -> Any:
    alert = add_alert(w.app.state.db, "water-leak", "meter:apt/b1-water", "apt")
    ops = w.staff("operator")
    do = lambda: ok(ops.post(f"/v1/alerts/{alert}/ack", {"note": "valve closed"}))  # noqa: E731
    return do, "alert.ack", "alert", str(alert), "staff:ops"


def _silence(remove: bool) -> Act:
    def act(w: World) -> Any:
        ops = w.staff("operator")
        now = datetime.now(UTC)
        body = {"matchers": {"site": "apt"}, "starts_at": now.isoformat(),
                "ends_at": (now + timedelta(hours=2)).isoformat(), "comment": "maintenance"}  # fmt: skip
        if not remove:
            return (
                (lambda: ok(ops.post("/v1/alert-silences", body))),
                "silence.add",
                "silence",
                None,
                "staff:ops",
            )
        sid = ok(ops.post("/v1/alert-silences", body)).json()["id"]
        do = lambda: ok(ops.delete(f"/v1/alert-silences/{sid}"))  # noqa: E731
        return do, "silence.remove", "silence", str(sid), "staff:ops"

    return act


def _tenancy(step: str) -> Act:
    def act(w: World) -> Any:
        ops = w.staff("operator")
        unit = {"site": "apt", "unit": "301동 30호"}
        if step != "move_in":
            made = ok(ops.post("/v1/staff/tenancies/move-in", unit)).json()["id"]
        path, action, kind = {
            "move_in": ("tenancies/move-in", "tenancy.move_in", "tenancy"),
            "move_out": ("tenancies/move-out", "tenancy.move_out", "tenancy"),
            "sign": ("links/sign", "links.sign", "tenancy"),
            "revoke": ("links/revoke", "links.revoke", "tenancy"),
        }[step]
        target = None if step == "move_in" else str(made)
        return (lambda: ok(ops.post(f"/v1/staff/{path}", unit))), action, kind, target, "staff:ops"

    return act


def _sign_out(w: World) -> Any:
    mod = w.staff("moderator")
    return (
        (lambda: ok(mod.post("/v1/staff/signout"))),
        "staff.signout",
        "staff_user",
        "mod",
        "staff:mod",
    )


ACTIONS: dict[str, Act] = {
    "hide post": _moderate("hide", "post"),
    "hide comment": _moderate("hide", "comment"),
    "restore post": _moderate("restore", "post", ("hide",)),
    "block author": _moderate("block-author", "comment"),
    "unblock author": _moderate("unblock-author", "post", ("block-author",)),
    "post status": _status,
    "answer written": _answer(1, publish=False),
    "answer edited": _answer(2, publish=False),
    "answer published": _answer(2, publish=True),
    "dataset published": _dataset,
    "codes issued": _codes(revoke=False),
    "codes revoked": _codes(revoke=True),
    "survey round created": _survey("create"),
    "survey round rescheduled": _survey("reschedule"),
    "survey round opened": _survey("open"),
    "survey round closed": _survey("close"),
    "survey round published": _survey("publish"),
    "paper response entered": _survey("paper"),
    "free text approved": _text_approve,
    "round clock": _tick,
    "alert acknowledged": _alert_ack,
    "silence added": _silence(remove=False),
    "silence removed": _silence(remove=True),
    "tenant moved in": _tenancy("move_in"),
    "tenant moved out": _tenancy("move_out"),
    "household link signed": _tenancy("sign"),
    "household links revoked": _tenancy("revoke"),
    "signed out": _sign_out,
}


@pytest.mark.parametrize("name", list(ACTIONS))
def test_every_staff_action_is_in_the_audit_log(app: FastAPI, clock: Clock, name: str) -> None:
    world = World(app, clock)
    do, action, kind, target_id, actor = ACTIONS[name](world)
    with app.state.db.connect() as conn:
        seen = audit.count(conn)
    before = datetime.now(UTC) - timedelta(seconds=1)
    do()
    after = datetime.now(UTC) + timedelta(seconds=1)
    with app.state.db.connect() as conn:
        new = audit.entries(conn, None, 1000)[: audit.count(conn) - seen]
    mine = [e for e in new if e["action"] == action]
    assert len(mine) == 1, (action, [(e["action"], e["actor"]) for e in new])
    entry = mine[0]
    assert (entry["actor"], entry["target_kind"]) == (actor, kind)
    if target_id is not None:
        assert entry["target_id"] == target_id
    else:
        assert entry["target_id"] is None or entry["target_id"] != ""
    assert before <= entry["at"] <= after
    # And the administrators read it back through the route, filtered by the action.
    boss = staff_member(app, "boss", "administrator")
    listed = boss.get("/v1/staff/audit", params={"action": action}).json()["entries"]
    assert entry["id"] in [e["id"] for e in listed]


def test_the_audit_log_cannot_be_changed_or_deleted(engine: Engine) -> None:
    with engine.begin() as conn:
        audit.record(conn, "staff:kim", "post.status", "post", 1, {"to": "closed"})
    for statement in (
        update(audit_log).values(actor="staff:mayor"),
        delete(audit_log),
        text("DELETE FROM audit_log WHERE id = 1"),
    ):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(statement)
    with engine.connect() as conn:
        [kept] = audit.entries(conn)
    assert (kept["actor"], kept["action"], kept["detail"]) == (
        "staff:kim",
        "post.status",
        {"to": "closed"},
    )


def test_the_audit_log_filters_and_its_csv_export(app: FastAPI) -> None:
    world = World(app, Clock(datetime.now(UTC)))
    post_id, _ = world.post()
    mod = world.staff("moderator")
    ok(mod.put(f"/v1/board/posts/{post_id}/status", {"status": "under_review"}))
    ok(mod.put(f"/v1/board/posts/{post_id}/answer", {"body": '=HYPERLINK("x")'}))
    boss = staff_member(app, "boss", "administrator")
    by_mod = boss.get("/v1/staff/audit", params={"actor": "staff:mod"}).json()
    assert {e["action"] for e in by_mod["entries"]} == {
        "staff.signin",
        "post.status",
        "answer.write",
    }
    on_post = boss.get("/v1/staff/audit", params={"target": f"post:{post_id}"}).json()
    assert [e["action"] for e in on_post["entries"]] == ["answer.write", "post.status"]
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert boss.get("/v1/staff/audit", params={"since": later}).json()["total"] == 0
    exported = boss.get("/v1/staff/audit.csv", params={"target": f"post:{post_id}"})
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.headers["cache-control"] == "private, no-store"
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["actor"], r["action"], r["target_id"]) for r in rows] == [
        ("staff:mod", "answer.write", str(post_id)),
        ("staff:mod", "post.status", str(post_id)),
    ]
    assert TestClient(app).get("/v1/staff/audit.csv").status_code == 401
    assert mod.get("/v1/staff/audit.csv").status_code == 403
