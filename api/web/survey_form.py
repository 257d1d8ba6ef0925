"""A questionnaire form's fields as the answers the survey store checks (question id → answer).

Field names: `<question>` for single, multiple, Likert, number and text
questions, `<question>.<row>` for a matrix row. Empty fields are no answer.
Answers to a question whose display condition is not met are dropped (without
JavaScript every question is on the page; the store would refuse them as
"not asked"); the store checks everything else and names the question.
"""

from __future__ import annotations

from typing import Any

from api.web.resident import Form
from civic.surveys.answers import visible
from civic.surveys.template import QType, Question, Template


def _number(text: str) -> int | float | str:
    try:
        value = float(text)
    except ValueError:
        return text  # the store names the question and says it wants a number
    return int(value) if value.is_integer() else value


def _one(q: Question, form: Form) -> Any:
    if q.type is QType.MULTIPLE:
        return [v for v in form.all(q.id) if v] or None
    if q.type is QType.MATRIX:
        rows = {r.id: form.get(f"{q.id}.{r.id}") for r in q.rows}
        return {rid: _number(v) for rid, v in rows.items() if v} or None
    value = form.get(q.id)
    if not value:
        return None
    if q.type in (QType.LIKERT, QType.NUMBER):
        return _number(value)
    return value


def answers_of(template: Template, form: Form) -> dict[str, Any]:
    given = {q.id: _one(q, form) for q in template.questions()}
    given = {qid: a for qid, a in given.items() if a is not None}
    return {q.id: given[q.id] for q in template.questions() if q.id in given and visible(q, given)}
