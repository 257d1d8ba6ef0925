"""Results: suppression, moderated free text, round-over-round comparison; round states."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from civic.board.codes import household_key
from civic.surveys.responses import ResponseRefused
from civic.surveys.rounds import RoundRefused, add_months
from civic.surveys.service import Surveys
from tests.surveys.conftest import SECRET, Clock, answers, open_round


def _answer(surveys: Surveys, round_id: int, site: str, n: int, **given: object) -> None:
    for i in range(n):
        key = household_key(SECRET, site, f"{round_id}-{site}-{i}-{sorted(given.items())}")
        surveys.responses.submit(round_id, key, site, answers(**given))  # type: ignore[arg-type]


def test_a_question_below_k_is_withheld_whole(surveys: Surveys, clock: Clock) -> None:
    r = open_round(surveys, clock)
    _answer(surveys, r.id, "apt-a", 3)
    _answer(surveys, r.id, "apt-a", 2, suggestion="더 많은 태양광")
    surveys.rounds.close(r.id)
    result = {q["question"]: q for q in surveys.results(r.id, staff=True)["questions"]}
    assert result["suggestion"] == {
        "question": "suggestion",
        "type": "short_text",
        "text": result["suggestion"]["text"],
        "suppressed": True,
        "reason": "fewer respondents than the privacy threshold",
        "rule": "too_few",
    }
    assert result["data_useful"]["all"]["respondents"] == 5
    assert result["policy_ratings"]["all"]["rows"]["solar"]["counts"]["5"] == 5
    assert result["monthly_bill"]["all"] == {"respondents": 5, "mean": 50.0, "median": 50}


def test_free_text_is_published_only_once_approved(surveys: Surveys, clock: Clock) -> None:
    r = open_round(surveys, clock)
    _answer(surveys, r.id, "apt-a", 2, suggestion="단열 지원")
    _answer(surveys, r.id, "apt-b", 2, suggestion="태양광 확대")
    with pytest.raises(ResponseRefused, match="once the round closes"):
        surveys.responses.pending_texts(r.id)
    surveys.rounds.close(r.id)
    pending = surveys.responses.pending_texts(r.id)
    assert sorted(p["text"] for p in pending) == ["단열 지원"] * 2 + ["태양광 확대"] * 2
    first = next(p for p in pending if p["text"] == "태양광 확대")
    surveys.responses.approve_text(r.id, first["response_id"], "suggestion")
    [suggestion] = [
        q for q in surveys.results(r.id, staff=True)["questions"] if q["question"] == "suggestion"
    ]
    assert suggestion["texts"] == ["태양광 확대"]
    assert "texts" not in suggestion["by_district"].get("29140", {})
    assert len(surveys.responses.pending_texts(r.id)) == 3


def test_round_over_round_comparison(surveys: Surveys, clock: Clock) -> None:
    first = open_round(surveys, clock)
    _answer(surveys, first.id, "apt-a", 3, support="no")
    clock.advance(days=14)
    surveys.rounds.tick()  # closes the first
    surveys.rounds.publish(first.id)
    clock.now = add_months(first.opens_at, 5)
    [second] = [r for r in surveys.rounds.tick() if r.number == 2]
    assert second.questions == first.questions and second.status.value == "draft"
    surveys.rounds.open(second.id)
    _answer(surveys, second.id, "apt-a", 4, support="yes")
    clock.advance(days=14)
    surveys.rounds.tick()
    # The second is closed, not yet published: the public comparison has the first only.
    assert [c["number"] for c in surveys.comparison("energy_policy", "policy_support")] == [1]
    clock.advance(days=7)
    surveys.rounds.tick()  # publishes the second
    compared = surveys.comparison("energy_policy", "policy_support")
    assert [(c["number"], c["all"]["counts"]) for c in compared] == [
        (1, {"yes": 0, "no": 3, "unsure": 0}),
        (2, {"yes": 4, "no": 0, "unsure": 0}),
    ]


def test_states_move_one_way(surveys: Surveys, clock: Clock) -> None:
    r = open_round(surveys, clock)
    with pytest.raises(RoundRefused, match="is open, not draft"):
        surveys.rounds.open(r.id)
    with pytest.raises(RoundRefused, match="is open, not closed"):
        surveys.rounds.publish(r.id)
    with pytest.raises(RoundRefused, match="results are hidden"):
        surveys.results(r.id, staff=True)
    with pytest.raises(RoundRefused, match="no survey round 999"):
        surveys.rounds.close(999)
    with pytest.raises(RoundRefused, match="opens, then closes"):
        surveys.rounds.create("energy_policy", clock(), clock(), clock())


def test_months_are_calendar_months() -> None:
    at = datetime(2026, 9, 30, 15, 0, tzinfo=UTC)
    assert add_months(at, 5) == datetime(2027, 2, 28, 15, 0, tzinfo=UTC)
    assert add_months(at, 15) == datetime(2027, 12, 30, 15, 0, tzinfo=UTC)
