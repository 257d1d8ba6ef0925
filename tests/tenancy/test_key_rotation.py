"""A key rotation changes no identity, through the real app on both engines: the API restarted
with a new signing key (the old one still verifying, then retired) keeps every household's
account, its one survey answer and its links signed under a key still listed."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from api.settings import ApiSettings, parse_signing_keys
from telemetry.db.tables import residents
from tests.tenancy.world import KEY_1, KEY_2, World

ANSWERS = {"data_useful": 4, "data_used_for": ["compare"], "policy_support": "yes"}
UNIT = "101-1203"


def _answer(world: World, round_id: int, spelling: str) -> int:
    browser, csrf = world.resident(world.codes([spelling])[0])
    r = browser.post(f"/v1/surveys/rounds/{round_id}/response",
                     headers={"X-CSRF-Token": csrf}, json={"answers": ANSWERS})  # fmt: skip
    return r.status_code


def _accounts(world: World) -> list[int]:
    with world.engine.connect() as conn:
        return list(conn.execute(select(residents.c.id).order_by(residents.c.id)).scalars())


def _months(world: World, token: str) -> int:
    return world.client().get("/v1/household/months", params={"token": token}).status_code


def test_a_key_rotation_changes_no_identity(world: World) -> None:
    world.move_in(UNIT, world.today() - dt.timedelta(days=200))
    s = world.app.state.surveys
    now = world.clock()
    round_id = s.rounds.open(
        s.rounds.create(
            "energy_policy",
            now - timedelta(hours=1),
            now + timedelta(days=14),
            now + timedelta(days=21),
        ).id
    ).id
    assert _answer(world, round_id, UNIT) == 201
    before = _accounts(world)
    old_link = world.link(UNIT)

    rotated = world.rebuilt(f"{KEY_2},{KEY_1}")  # k2 signs, k1 still verifies
    assert _answer(rotated, round_id, "101동 1203호") == 409
    assert _accounts(rotated) == before
    new_link = rotated.link(UNIT)
    assert new_link.split("~")[5] == "k2" and old_link.split("~")[5] == "k1"
    assert _months(rotated, old_link) == 200 and _months(rotated, new_link) == 200

    retired = world.rebuilt(KEY_2)  # k1 removed
    assert _answer(retired, round_id, "0101-1203") == 409
    assert _accounts(retired) == before
    refused = retired.client().get("/v1/household/months", params={"token": old_link})
    assert refused.status_code == 401 and "no longer in use" in refused.json()["detail"]
    assert _months(retired, new_link) == 200
    with world.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(residents)).scalar_one() == 1


def test_signing_keys_parse_and_the_survey_key_stays_with_the_oldest() -> None:
    assert parse_signing_keys("", "0123456789abcdef") == [("default", "0123456789abcdef")]
    assert parse_signing_keys(f"{KEY_2},{KEY_1}", "") == [
        ("k2", KEY_2[3:]), ("k1", KEY_1[3:])]  # fmt: skip
    for bad, said in (
        ("k1:short", "at least 16"),
        (f"{KEY_1},{KEY_1}", "listed twice"),
        ("nokey", "expected <id>:<key>"),
        ("k 1:0123456789abcdef", "expected <id>:<key>"),
    ):
        with pytest.raises(ValueError, match=said):
            parse_signing_keys(bad, "")
    with pytest.raises(ValueError, match="not both"):
        parse_signing_keys(KEY_1, "0123456789abcdef")
    one = ApiSettings(api_signing_keys=KEY_1)
    two = ApiSettings(api_signing_keys=f"{KEY_2},{KEY_1}")
    assert one.survey_seal_key_bytes() == two.survey_seal_key_bytes()
    assert two.signing_key() == KEY_2[3:]
