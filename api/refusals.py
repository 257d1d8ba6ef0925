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
    "bad_dates": 400,
    "not_text": 400,
    "no_answer": 400,
    "too_large": 422,
    "unavailable": 503,
}


def survey_problem(exc: RoundRefused | ResponseRefused | AnswerError) -> ApiProblem:
    if isinstance(exc, AnswerError):
        errors = [{"field": qid, "message": text} for qid, text in exc.errors]
        return ApiProblem(
            422, "Invalid answers", str(exc), kind="/problems/invalid-answers", errors=errors
        )
    kind = f"/problems/survey-{exc.reason.replace('_', '-')}"
    return ApiProblem(
        SURVEY_STATUS.get(exc.reason, 400), "Survey action refused", str(exc), kind=kind
    )
