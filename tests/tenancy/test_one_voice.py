"""One flat, one voice, tried as an attacker would through the real app on both engines: the
spellings of one unit are one account (one support, one survey response), an unknown unit is
refused with the closest units, and only a unit's current household gets codes."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

from sqlalchemy import func, select

from telemetry.db.tables import audit_log, residents
from tests.tenancy.world import DONG, World

ANSWERS = {"data_useful": 4, "data_used_for": ["compare"], "policy_support": "yes"}
SPELLINGS = ["101동 1203호", "101-1203", "0101-1203", "101 1203"]


def _open_round(world: World) -> int:
    s = world.app.state.surveys
    now = world.clock()
    draft = s.rounds.create("energy_policy", now - timedelta(hours=1), now + timedelta(days=14),
                            now + timedelta(days=21))  # fmt: skip
    return s.rounds.open(draft.id).id


def _post(world: World) -> int:
    author, csrf = world.resident(world.codes(["102-101"])[0])
    r = author.post("/v1/board/posts", headers={"X-CSRF-Token": csrf},
                    json={"kind": "proposal", "title": "Shade the car park", "body": "with solar",
                          "dong": DONG})  # fmt: skip
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_every_spelling_of_a_unit_is_one_account_one_support_one_answer(world: World) -> None:
    today = world.today()
    world.move_in("101-1203", today - dt.timedelta(days=400))
    world.move_in("102-101", today - dt.timedelta(days=100))
    post = _post(world)
    round_id = _open_round(world)
    supports, answered = [], []
    for spelling in SPELLINGS:  # a code per spelling: each cancels the one before
        browser, csrf = world.resident(world.codes([spelling])[0])
        r = browser.post(f"/v1/board/posts/{post}/support", headers={"X-CSRF-Token": csrf})
        supports.append(r.status_code)
        r = browser.post(f"/v1/surveys/rounds/{round_id}/response",
                         headers={"X-CSRF-Token": csrf}, json={"answers": ANSWERS})  # fmt: skip
        answered.append(r.status_code)
    with world.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(residents)).scalar_one() == 2
    assert supports[0] == 200 and all(s == 409 for s in supports[1:]), supports
    assert answered[0] == 201 and all(s == 409 for s in answered[1:]), answered
    detail = world.client().get(f"/v1/board/posts/{post}").json()
    assert detail["supports"] == 1


def test_two_spellings_of_one_unit_in_one_sheet_are_refused(world: World) -> None:
    world.move_in("101-1203", world.today())
    r = world.issuer().post("/v1/board/codes",
                            {"site": "apt", "households": ["101-1203", "101동 1203호"]})  # fmt: skip
    assert r.status_code == 400
    [error] = r.json()["errors"]
    assert error["field"] == "households[1]" and "the same unit 101-1203" in error["message"]


def test_an_unknown_unit_is_refused_with_the_closest_units(world: World) -> None:
    world.move_in("101-1203", world.today())
    r = world.issuer().post("/v1/board/codes",
                            {"site": "apt", "households": ["101-1203", "101-1230", "103-101"]})  # fmt: skip
    assert r.status_code == 400, r.text
    errors = {e["field"]: e for e in r.json()["errors"]}
    assert set(errors) == {"households[1]", "households[2]"}
    assert errors["households[1]"]["suggestions"][0] == "101-1203"
    assert "101-1203" in r.json()["detail"]
    moved = world.operator().post("/v1/staff/tenancies/move-in",
                                  {"site": "apt", "unit": "101동 1209호"})  # fmt: skip
    assert moved.status_code == 400 and "closest" in moved.json()["detail"]


def test_codes_only_for_a_units_current_household(world: World) -> None:
    r = world.issuer().post("/v1/board/codes", {"site": "apt", "households": ["101-1203"]})
    assert r.status_code == 400 and "no current tenant" in r.text
    world.move_in("101-1203", world.today() - dt.timedelta(days=30))
    again = world.operator().post("/v1/staff/tenancies/move-in",
                                  {"site": "apt", "unit": "101-1203"})  # fmt: skip
    assert again.status_code == 409 and "has not moved out" in again.text


def test_tenancy_staff_only_and_audited_under_their_name(world: World) -> None:
    anonymous = world.client().post("/v1/staff/tenancies/move-in",
                                    json={"site": "apt", "unit": "101-1203"})  # fmt: skip
    assert anonymous.status_code == 401
    from tests.staff.people import staff_member

    moderator = staff_member(world.app, "han", "moderator")
    r = moderator.post("/v1/staff/tenancies/move-in", {"site": "apt", "unit": "101-1203"})
    assert r.status_code == 403
    made = world.move_in("101-1203", world.today())
    world.move_out("101-1203", world.today())
    with world.engine.connect() as conn:
        rows = conn.execute(
            select(audit_log.c.actor, audit_log.c.action, audit_log.c.target_id)
            .where(audit_log.c.action.like("tenancy.%"))
            .order_by(audit_log.c.id)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("staff:lee", "tenancy.move_in", str(made["id"])),
        ("staff:lee", "tenancy.move_out", str(made["id"])),
    ]
