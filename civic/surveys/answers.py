"""Answers checked against a round's questions: types, options, required, display conditions.

Every mistake names its question id, all of them at once. A question whose
condition is not met must be left unanswered (it was not shown), and is never
required.
"""

from __future__ import annotations

from typing import Any

from civic.surveys.template import LIKERT, TEXT_LIMITS, QType, Question, Template

Answer = str | int | float | list[str] | dict[str, int]


class AnswerError(ValueError):
    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{qid}: {text}" for qid, text in errors))


def visible(q: Question, answers: dict[str, Any]) -> bool:
    """Whether `q` is shown, given the answers to earlier questions (already checked)."""
    if q.show_if is None:
        return True
    given = answers.get(q.show_if.question)
    chosen = given if isinstance(given, list) else [given]
    return any(v in q.show_if.any_of for v in chosen if v is not None)


def check_answers(template: Template, answers: dict[str, Any]) -> dict[str, Answer]:
    """The answers, cleaned (text stripped), or AnswerError naming each wrong question."""
    errors: list[tuple[str, str]] = []
    known = {q.id for q in template.questions()}
    errors += [(qid, "no such question in this round") for qid in answers if qid not in known]
    clean: dict[str, Answer] = {}
    for q in template.questions():
        given = answers.get(q.id)
        if _empty(given):
            if q.required and visible(q, clean):
                errors.append((q.id, "an answer is required"))
            continue
        if not visible(q, clean):
            errors.append((q.id, f"not asked: its condition on '{q.show_if.question}' is not met"))  # type: ignore[union-attr]
            continue
        try:
            clean[q.id] = _check(q, given)
        except ValueError as exc:
            errors.append((q.id, str(exc)))
    if errors:
        raise AnswerError(errors)
    return clean


def _empty(given: Any) -> bool:
    return (
        given is None
        or given == []
        or given == {}
        or (isinstance(given, str) and not given.strip())
    )


def _check(q: Question, given: Any) -> Answer:
    match q.type:
        case QType.SINGLE:
            return _option(q, given)
        case QType.MULTIPLE:
            return _options(q, given)
        case QType.LIKERT:
            return _likert(given)
        case QType.MATRIX:
            return _matrix(q, given)
        case QType.NUMBER:
            return _number(q, given)
        case _:
            return _text(q, given)


def _option(q: Question, given: Any) -> str:
    ids = [o.id for o in q.options]
    if not isinstance(given, str) or given not in ids:
        raise ValueError(f"expected one of {ids}, got {given!r}")
    return given


def _options(q: Question, given: Any) -> list[str]:
    if not isinstance(given, list):
        raise ValueError(f"expected a list of option ids, got {given!r}")
    chosen = [_option(q, g) for g in given]
    if len(set(chosen)) != len(chosen):
        raise ValueError("an option is chosen twice")
    if q.max_choices is not None and len(chosen) > q.max_choices:
        raise ValueError(f"at most {q.max_choices} choices, got {len(chosen)}")
    return sorted(chosen, key=[o.id for o in q.options].index)


def _likert(given: Any) -> int:
    if isinstance(given, bool) or given not in LIKERT:
        raise ValueError(f"expected a point of the scale 1-5, got {given!r}")
    return int(given)


def _matrix(q: Question, given: Any) -> dict[str, int]:
    if not isinstance(given, dict):
        raise ValueError(f"expected a mapping of row id to 1-5, got {given!r}")
    rows = [r.id for r in q.rows]
    unknown = [r for r in given if r not in rows]
    if unknown:
        raise ValueError(f"unknown rows {unknown} (rows: {rows})")
    missing = [r for r in rows if r not in given]
    if q.required and missing:
        raise ValueError(f"every row needs an answer; missing {missing}")
    try:
        return {r: _likert(given[r]) for r in rows if r in given}
    except ValueError as exc:
        raise ValueError(f"row: {exc}") from None


def _number(q: Question, given: Any) -> int | float:
    if isinstance(given, bool) or not isinstance(given, int | float) or given != given:
        raise ValueError(f"expected a number, got {given!r}")
    if q.min is not None and given < q.min:
        raise ValueError(f"at least {q.min:g}, got {given}")
    if q.max is not None and given > q.max:
        raise ValueError(f"at most {q.max:g}, got {given}")
    return given


def _text(q: Question, given: Any) -> str:
    if not isinstance(given, str):
        raise ValueError(f"expected text, got {given!r}")
    text = given.strip()
    limit = TEXT_LIMITS[q.type]
    if len(text) > limit:
        raise ValueError(f"at most {limit} characters, got {len(text)}")
    return text
