"""The responses table cannot be joined to the households who answered.

Fifty households answer one round, one a minute, each giving its own index
as its monthly bill, so the test (and only the test) knows who wrote each
response. The store must keep nothing that pairs the two tables: no shared
column but the round, no household key anywhere in a response, the day and
no time, and no order (by any column, or as stored) that follows arrival.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Engine, inspect, select, text

from civic.board.codes import household_key
from civic.surveys.service import Surveys
from telemetry.db.tables import survey_participations, survey_responses
from tests.surveys.conftest import SECRET, Clock, answers, open_round

N = 50


def _answer_all(surveys: Surveys, clock: Clock) -> list[str]:
    r = open_round(surveys, clock)
    keys = []
    for i in range(N):
        key = household_key(SECRET, "apt-a", f"101-{i:04d}")
        surveys.responses.submit(r.id, key, "apt-a", answers(bill=i))
        keys.append(key)
        clock.advance(minutes=1)
    surveys.rounds.close(r.id)
    return keys


def _rank_correlation(order: list[int]) -> float:
    """Spearman's rho of a permutation of 0..n-1 against arrival order."""
    n = len(order)
    d2 = sum((pos - who) ** 2 for pos, who in enumerate(order))
    return 1 - 6 * d2 / (n * (n * n - 1))


def _assert_not_arrival_order(order: list[int], what: str) -> None:
    assert sorted(order) == list(range(N)), what
    assert order != list(range(N)), f"{what} is the participation order"
    # Random order: |rho| > 0.6 for n = 50 happens about once in 30,000 runs.
    assert abs(_rank_correlation(order)) < 0.6, f"{what} follows arrival: {order}"


def test_no_shared_key_no_household_key_day_only(
    engine: Engine, surveys: Surveys, clock: Clock
) -> None:
    keys = _answer_all(surveys, clock)
    shared = {c.name for c in survey_responses.c} & {c.name for c in survey_participations.c}
    assert shared == {"round_id"}
    with engine.connect() as conn:
        dump = repr(conn.execute(text("SELECT * FROM survey_responses")).all())
        stored = {c["name"]: c["type"] for c in inspect(conn).get_columns("survey_responses")}
        days = conn.execute(select(survey_responses.c.saved_on)).scalars().all()
    assert not [k for k in keys if k in dump]
    assert isinstance(stored["saved_on"], Date) and type(stored["saved_on"]).__name__ in (
        "DATE",
        "Date",
    )
    assert all(type(d) is date for d in days) and set(days) == {date(2026, 12, 1)}
    assert sum(c.name.endswith("_at") for c in survey_responses.c) == 0


def test_rows_are_not_in_participation_order(
    engine: Engine, surveys: Surveys, clock: Clock
) -> None:
    keys = _answer_all(surveys, clock)
    who = {k: i for i, k in enumerate(keys)}
    with engine.connect() as conn:
        # As stored: no ORDER BY, the order a reader of the raw table sees.
        stored = [r.answers["monthly_bill"] for r in conn.execute(select(survey_responses)).all()]
        stored_keys = conn.execute(select(survey_participations.c.household_key)).scalars().all()
        by_column = {
            c.name: [
                r.answers["monthly_bill"]
                for r in conn.execute(select(survey_responses).order_by(c, survey_responses.c.id))
            ]
            for c in survey_responses.c
            if c.name not in ("answers", "approved_texts")
        }
    _assert_not_arrival_order(stored, "responses as stored")
    _assert_not_arrival_order([who[k] for k in stored_keys], "participations as stored")
    for name, order in by_column.items():
        _assert_not_arrival_order(order, f"responses ordered by {name}")
    # Pairing the two tables row by row finds (about) chance, not the households.
    paired = sum(who[k] == bill for k, bill in zip(stored_keys, stored, strict=True))
    assert paired < 8


def test_closing_ends_the_edit_capability(engine: Engine, surveys: Surveys, clock: Clock) -> None:
    r = open_round(surveys, clock)
    token = surveys.responses.submit(r.id, household_key(SECRET, "apt-a", "1"), "apt-a", answers())
    with engine.connect() as conn:
        assert conn.execute(select(survey_responses.c.edit_hash)).scalar_one() is not None
    surveys.rounds.close(r.id)
    with engine.connect() as conn:
        assert conn.execute(select(survey_responses.c.edit_hash)).scalar_one() is None
    assert token
