"""Responses cannot be joined to the households who answered, open or closed.

Fifty households answer one round, one a minute, each giving its own index
as its monthly bill and a suggestion of its own length, so the test (and only
the test) knows who wrote each response. While the round is open the
database holds only sealed rows of one size; at close the mixer writes them
out in one transaction in random order. Both engines (docs/THREAT_MODEL.md).
"""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import Engine, func, inspect, select, text

from civic.board.codes import household_key
from civic.surveys.responses import ResponseRefused
from civic.surveys.service import Surveys
from telemetry.db.tables import survey_participations, survey_responses, survey_sealed
from tests.surveys.conftest import SECRET, Clock, answers, open_round

N = 50


def _suggestion(i: int) -> str:
    return f"제안{i:03d}" + "가" * (i * 3)


def _answer_all(surveys: Surveys, clock: Clock) -> tuple[int, list[str], list[str]]:
    r = open_round(surveys, clock)
    keys, handles = [], []
    for i in range(N):
        key = household_key(SECRET, "apt-a", f"101-{i:04d}")
        given = answers(bill=i, suggestion=_suggestion(i))
        handles.append(surveys.responses.submit(r.id, key, "apt-a", given))
        keys.append(key)
        clock.advance(minutes=1)
    return r.id, keys, handles


def _count(conn, table) -> int:  # type: ignore[no-untyped-def]
    return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_an_open_round_holds_only_sealed_rows_of_one_size(
    engine: Engine, surveys: Surveys, clock: Clock
) -> None:
    round_id, keys, handles = _answer_all(surveys, clock)
    with engine.connect() as conn:
        assert _count(conn, survey_responses) == 0
        sealed = conn.execute(select(survey_sealed)).all()
        participations = conn.execute(select(survey_participations.c.household_key)).scalars()
        stored_keys = set(participations)
    assert len(sealed) == N and len(stored_keys) == N
    # One size whatever the suggestion's length (3 to 150 characters here).
    assert len({len(r.sealed) for r in sealed}) == 1
    blob = b"".join(r.sealed for r in sealed)
    assert "제안".encode() not in blob and b"monthly_bill" not in blob
    # A participation names no resident key, and only the handle's hash is kept.
    assert not stored_keys & set(keys)
    assert {r.edit_hash for r in sealed} == {
        hashlib.sha256(h.encode()).hexdigest() for h in handles
    }
    assert surveys.responses.own(round_id, handles[7])["monthly_bill"] == 7


def test_participation_keys_differ_by_round(engine: Engine, surveys: Surveys, clock: Clock) -> None:
    key = household_key(SECRET, "apt-a", "101-0001")
    first = open_round(surveys, clock)
    surveys.responses.submit(first.id, key, "apt-a", answers())
    surveys.rounds.close(first.id)
    second = open_round(surveys, clock)
    surveys.responses.submit(second.id, key, "apt-a", answers())
    with engine.connect() as conn:
        stored = conn.execute(select(survey_participations.c.household_key)).scalars().all()
    assert len(set(stored)) == 2 and key not in stored
    assert surveys.responses.answered(first.id, key) and surveys.responses.answered(second.id, key)
    assert not surveys.responses.answered(second.id, household_key(SECRET, "apt-a", "101-0002"))


def test_closing_writes_every_response_out_at_once_in_random_order(
    engine: Engine, surveys: Surveys, clock: Clock
) -> None:
    round_id, keys, _handles = _answer_all(surveys, clock)
    surveys.rounds.close(round_id)
    with engine.connect() as conn:
        assert _count(conn, survey_sealed) == 0
        stored = conn.execute(select(survey_responses)).all()  # as stored: no ORDER BY
        columns = {c["name"] for c in inspect(conn).get_columns("survey_responses")}
        dump = repr(conn.execute(text("SELECT * FROM survey_responses")).all())
        if engine.dialect.name == "postgresql":
            xmins = conn.execute(text("SELECT DISTINCT xmin::text FROM survey_responses")).all()
            assert len(xmins) == 1, "the responses were not written in one transaction"
    bills = [r.answers["monthly_bill"] for r in stored]
    assert sorted(bills) == list(range(N))
    assert {r.answers["suggestion"] for r in stored} == {_suggestion(i) for i in range(N)}
    assert not [k for k in keys if k in dump]
    # No time, no handle: nothing left to pair the rows with an arrival.
    assert columns == {"id", "round_id", "district", "building_type", "answers", "approved_texts"}
    assert bills != list(range(N)) and abs(_rank_correlation(bills)) < 0.6
    by_id = [r.answers["monthly_bill"] for r in sorted(stored, key=lambda r: r.id)]
    assert abs(_rank_correlation(by_id)) < 0.6


def test_the_edit_handle_ends_with_the_round(
    engine: Engine, surveys: Surveys, clock: Clock
) -> None:
    r = open_round(surveys, clock)
    handle = surveys.responses.submit(r.id, household_key(SECRET, "apt-a", "1"), "apt-a", answers())
    surveys.responses.edit(r.id, handle, answers(bill=99))
    assert surveys.responses.own(r.id, handle)["monthly_bill"] == 99
    surveys.rounds.close(r.id)
    with engine.connect() as conn:
        assert _count(conn, survey_sealed) == 0
        assert conn.execute(select(survey_responses.c.answers)).scalar_one()["monthly_bill"] == 99
    with pytest.raises(ResponseRefused) as refused:
        surveys.responses.own(r.id, handle)
    assert refused.value.reason == "no_response"


def _rank_correlation(order: list[int]) -> float:
    """Spearman's rho of a permutation of 0..n-1 against arrival order.

    For n = 50, |rho| > 0.6 by chance happens about once in 30,000 runs."""
    n = len(order)
    d2 = sum((pos - who) ** 2 for pos, who in enumerate(order))
    return 1 - 6 * d2 / (n * (n * n - 1))
