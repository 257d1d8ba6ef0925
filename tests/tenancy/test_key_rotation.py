"""A key rotation changes no identity, through the real app on both engines: the API restarted
with a new signing key (the old one still verifying, then retired) keeps every household's
account, its one survey answer and its links signed under a key still listed."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from api.settings import ApiSettings, parse_signing_keys
from civic.surveys.sealing import SealUnavailable
from telemetry.db.tables import residents, survey_responses
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
    assert one.survey_seal_key_bytes() == two.survey_seal_key_bytes()  # rounds before 0008
    assert (one.survey_keys().current, two.survey_keys().current) == ("signing:k1", "signing:k2")
    sealed = ApiSettings(api_signing_keys=KEY_1, survey_seal_key="s" * 32).survey_keys()
    assert sealed.current == "seal" and sealed.secrets["legacy"] == b"s" * 32
    assert two.signing_key() == KEY_2[3:]


def _open_round(world: World) -> int:
    s, now = world.app.state.surveys, world.clock()
    created = s.rounds.create("energy_policy", now - timedelta(hours=1),
                              now + timedelta(days=14), now + timedelta(days=21))  # fmt: skip
    return s.rounds.open(created.id).id


def _responses(world: World, round_id: int) -> int:
    with world.engine.connect() as conn:
        return conn.execute(
            select(func.count()).select_from(survey_responses)
            .where(survey_responses.c.round_id == round_id)
        ).scalar_one()  # fmt: skip


def test_an_open_round_keeps_its_survey_key_through_a_rotation(world: World) -> None:
    """No ENERGY_SURVEY_SEAL_KEY: a round keeps the signing key it opened under. Retiring
    that key while the round is open refuses answers and the close, naming the key, and
    loses nothing; listing it again lets the round close with every answer."""
    world.move_in(UNIT, world.today() - dt.timedelta(days=200))
    world.move_in("101-1204", world.today() - dt.timedelta(days=200))
    first = world.rebuilt(KEY_1, seal=None)
    r1 = _open_round(first)
    assert _answer(first, r1, UNIT) == 201

    rotated = first.rebuilt(f"{KEY_2},{KEY_1}", seal=None)
    assert _answer(rotated, r1, "101동 1203호") == 409  # still one voice under k1
    r2 = _open_round(rotated)
    s = rotated.app.state.surveys
    assert (s.rounds.get(r1).seal_key, s.rounds.get(r2).seal_key) == ("signing:k1", "signing:k2")

    retired = first.rebuilt(KEY_2, seal=None)
    browser, csrf = retired.resident(retired.codes(["101-1204"])[0])
    refused = browser.post(f"/v1/surveys/rounds/{r1}/response",
                           headers={"X-CSRF-Token": csrf}, json={"answers": ANSWERS})  # fmt: skip
    assert refused.status_code == 503, refused.text
    assert "'k1'" in refused.text and "ENERGY_API_SIGNING_KEYS" in refused.text
    with pytest.raises(SealUnavailable, match="'signing:k1'"):
        retired.app.state.surveys.rounds.close(r1)
    assert retired.app.state.surveys.rounds.get(r1).status.value == "open"
    assert _answer(retired, r2, "0101-1203") == 201  # the round under k2 goes on

    listed = first.rebuilt(f"{KEY_2},{KEY_1}", seal=None)
    assert listed.app.state.surveys.rounds.close(r1).status.value == "closed"
    assert _responses(listed, r1) == 1
