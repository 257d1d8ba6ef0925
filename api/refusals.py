"""The civic domain's refusals as problem details: one mapping for the API and the pages."""

from __future__ import annotations

from api.problems import ApiProblem
from civic.surveys.answers import AnswerError
from civic.surveys.service import ResponseRefused, RoundRefused

SURVEY_STATUS = {
    "unknown_round": 404,
    "unknown_template": 404,
    "no_response": 404,
    "unknown_code": 404,
    "code_cancelled": 410,
    "code_expired": 410,
    "wrong_state": 409,
    "results_hidden": 409,
    "not_open": 409,
    "already_answered": 409,
    "round_open": 409,
    # Bodies the schema allows but the round's own rules refuse: a conflict with the
    # round (its schedule, its questions), never 400/422, which say the request broke
    # the schema (docs/DECISIONS.md "The contract says what the server does").
    "bad_dates": 409,
    "not_text": 404,  # no free-text answer at that address
    "no_answer": 404,
    "too_large": 413,
    "unavailable": 503,
}


def survey_problem(exc: RoundRefused | ResponseRefused | AnswerError) -> ApiProblem:
    if isinstance(exc, AnswerError):
        errors = [{"field": qid, "message": text} for qid, text in exc.errors]
        return ApiProblem(
            409,
            "Answers do not fit the round",
            str(exc),
            kind="/problems/invalid-answers",
            errors=errors,
        )
    kind = f"/problems/survey-{exc.reason.replace('_', '-')}"
    return ApiProblem(
        SURVEY_STATUS.get(exc.reason, 400), "Survey action refused", str(exc), kind=kind
    )
