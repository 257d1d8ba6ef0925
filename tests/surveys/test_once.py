"""One response per household per round, whoever enters it and however many try at once."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, func, select

from civic.board.codes import ParticipationCodes, household_key
from civic.surveys.responses import ResponseRefused
from civic.surveys.service import Surveys
from telemetry.db.tables import survey_participations, survey_responses, survey_sealed
from tests.support.tenancy import lived
from tests.surveys.conftest import DONGS, SECRET, Clock, answers, open_round


def test_concurrent_answers_of_one_household_admit_exactly_one(
    engine: Engine, surveys: Surveys, clock: Clock
) -> None:
    r = open_round(surveys, clock)
    key = household_key(SECRET, "apt-a", "101-1203")
    start = threading.Barrier(6)
    outcomes: list[str] = []

    def attempt() -> None:
        start.wait()
        try:
            surveys.responses.submit(r.id, key, "apt-a", answers())
            outcomes.append("ok")
        except ResponseRefused as exc:
            outcomes.append(exc.reason)

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["already_answered"] * 5 + ["ok"]
    with engine.connect() as conn:
        for table in (survey_sealed, survey_participations):
            assert conn.execute(select(func.count()).select_from(table)).scalar_one() == 1
    surveys.rounds.close(r.id)
    with engine.connect() as conn:
        counts = [
            conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (survey_sealed, survey_responses, survey_participations)
        ]
    assert counts == [0, 1, 1]


def test_a_household_answers_each_round_once(surveys: Surveys, clock: Clock) -> None:
    first = open_round(surveys, clock)
    key = household_key(SECRET, "apt-a", "101-1203")
    surveys.responses.submit(first.id, key, "apt-a", answers())
    surveys.rounds.close(first.id)
    second = open_round(surveys, clock)
    surveys.responses.submit(second.id, key, "apt-a", answers())  # a new round: allowed
    with pytest.raises(ResponseRefused, match="already answered"):
        surveys.responses.submit(second.id, key, "apt-a", answers())


def test_paper_entry_refuses_a_cancelled_or_expired_code(
    surveys: Surveys, codes: ParticipationCodes, clock: Clock
) -> None:
    (lost,) = codes.issue("apt-b", DONGS["apt-b"], lived(codes.engine, "apt-b", ["p1"]), batch="r1")
    codes.issue(
        "apt-b", DONGS["apt-b"], lived(codes.engine, "apt-b", ["p1"]), batch="r2"
    )  # cancels `lost`
    (revoked,) = codes.issue(
        "apt-b", DONGS["apt-b"], lived(codes.engine, "apt-b", ["p2"]), batch="r1"
    )
    codes.revoke(lived(codes.engine, "apt-b", ["p2"])[0].tenancy_id)
    (old,) = codes.issue("apt-b", DONGS["apt-b"], lived(codes.engine, "apt-b", ["p3"]), batch="r1")
    clock.advance(days=91)  # past the 90-day lifetime of `old` (and of the others)
    (fresh,) = codes.issue(
        "apt-b", DONGS["apt-b"], lived(codes.engine, "apt-b", ["p4"]), batch="r3"
    )
    r = open_round(surveys, clock)
    for code, reason in (
        (lost.code, "code_cancelled"),
        (revoked.code, "code_cancelled"),
        (old.code, "code_expired"),
    ):
        with pytest.raises(ResponseRefused) as refused:
            surveys.responses.submit_paper(r.id, code, answers())
        assert refused.value.reason == reason
    surveys.responses.submit_paper(r.id, fresh.code, answers())
