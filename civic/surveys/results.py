"""A closed round's results: per question, counts and shares overall, by district, by building type.

Privacy: the round's tables are protected as one system (`protection.py`, the shared
`telemetry.disclosure`): every question's whole, districts, building types and their
crossings (never shown, but derivable), and the response counts the methodology
publishes. A cell is withheld with too few respondents (k), when all its respondents
gave one answer the whole did not (group disclosure), or to protect another cell; the
linear-programming audit finds no withheld cell narrowed below its protection interval
by any combination of what is published. A question whose whole is withheld is withheld
whole. Free text is published only where staff approved it, and only in the whole
(never next to a district).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select

from civic.surveys.protection import ALL, Answered, protect_round
from civic.surveys.rounds import Round
from civic.surveys.template import LIKERT, TEXT_TYPES, QType, Question
from telemetry.db.tables import survey_responses
from telemetry.disclosure import DisclosureRules, Protection, Reason

BELOW_K = "fewer respondents than the privacy threshold"
COMPLEMENT = "withheld so that a withheld group cannot be found by subtraction"
ALL_ALIKE = "every respondent in this group gave the same answer"
REASONS = {
    Reason.TOO_FEW: BELOW_K,
    Reason.PROTECTS: COMPLEMENT,
    Reason.ALL_ALIKE: ALL_ALIKE,
    Reason.DOMINATED: "one respondent dominates this group",
}


@dataclass(frozen=True, slots=True)
class StoredResponse:
    district: str
    building_type: str
    answers: dict[str, Any]
    approved_texts: list[str]


def load_responses(engine: Engine, round_id: int) -> list[StoredResponse]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(survey_responses).where(survey_responses.c.round_id == round_id)
        ).all()
    return [StoredResponse(r.district, r.building_type, r.answers, r.approved_texts) for r in rows]


def rules_of(k: int | DisclosureRules) -> DisclosureRules:
    return k if isinstance(k, DisclosureRules) else DisclosureRules(k=k)


@dataclass(frozen=True, slots=True)
class Decision:
    """What of a round may be published (one protection over all its tables)."""

    protection: Protection

    def withheld(self, qid: str, cell: tuple[str, str]) -> Reason | None:
        """None when published; else why not."""
        key = (qid, cell)
        if key in self.protection.published:
            return None
        return self.protection.reasons.get(key, Reason.PROTECTS)


def decide(
    questions: list[Question], responses: list[StoredResponse], rules: DisclosureRules
) -> Decision:
    answered = {
        q.id: [
            Answered(r.district, r.building_type, r.answers[q.id])
            for r in responses
            if q.id in r.answers
        ]
        for q in questions
    }
    cells = [(r.district, r.building_type) for r in responses]
    _system, protection = protect_round(questions, answered, cells, rules)
    return Decision(protection)


def _withheld(reason: Reason) -> dict[str, Any]:
    return {"suppressed": True, "reason": REASONS[reason], "rule": reason.value}


def tally(q: Question, answers: list[Any]) -> dict[str, Any]:
    """Counts, shares and (for scales and numbers) mean of the answers to one question."""
    n = len(answers)
    if q.type in (QType.SINGLE, QType.MULTIPLE):
        chosen = Counter(
            a for given in answers for a in (given if isinstance(given, list) else [given])
        )
        return _counts(n, {o.id: chosen[o.id] for o in q.options})
    if q.type is QType.LIKERT:
        return _scale(answers)
    if q.type is QType.MATRIX:
        rows = {r.id: [a[r.id] for a in answers if r.id in a] for r in q.rows}
        return {"respondents": n, "rows": {rid: _scale(v) for rid, v in rows.items()}}
    if q.type is QType.NUMBER:
        return {
            "respondents": n,
            "mean": _round(statistics.fmean(answers)),
            "median": statistics.median(answers),
        }
    return {"respondents": n}


def _scale(points: list[int]) -> dict[str, Any]:
    seen = Counter(points)
    out = _counts(len(points), {str(p): seen[p] for p in LIKERT})
    out["mean"] = _round(statistics.fmean(points)) if points else None
    return out


def _counts(n: int, counts: dict[str, int]) -> dict[str, Any]:
    shares = {key: _round(c / n) if n else None for key, c in counts.items()}
    return {"respondents": n, "counts": counts, "shares": shares}


def _round(x: float) -> float:
    return round(x, 4)


def question_results(
    q: Question, responses: list[StoredResponse], decision: Decision
) -> dict[str, Any]:
    answered = [r for r in responses if q.id in r.answers]
    result: dict[str, Any] = {"question": q.id, "type": q.type.value, "text": q.text}
    whole = decision.withheld(q.id, (ALL, ALL)) if answered else Reason.TOO_FEW
    if whole is not None:
        return result | _withheld(whole)
    result["all"] = tally(q, [r.answers[q.id] for r in answered])
    for kind in ("district", "building_type"):
        groups: dict[str, list[StoredResponse]] = {}
        for r in answered:
            groups.setdefault(getattr(r, kind), []).append(r)
        out: dict[str, Any] = {}
        for g, rs in sorted(groups.items()):
            cell = (g, ALL) if kind == "district" else (ALL, g)
            reason = decision.withheld(q.id, cell)
            out[g] = (
                tally(q, [r.answers[q.id] for r in rs]) if reason is None else _withheld(reason)
            )
        result[f"by_{kind}"] = out
    if q.type in TEXT_TYPES:
        result["texts"] = sorted(r.answers[q.id] for r in answered if q.id in r.approved_texts)
    return result


def round_results(
    current: Round,
    responses: list[StoredResponse],
    k: int | DisclosureRules,
    decision: Decision | None = None,
) -> dict[str, Any]:
    rules = rules_of(k)
    questions = current.questions.questions()
    decision = decision or decide(questions, responses, rules)
    return {
        "round": current.id,
        "template": current.template,
        "number": current.number,
        "title": current.title,
        "status": current.status.value,
        "privacy_k": rules.k,
        "questions": [question_results(q, responses, decision) for q in questions],
    }


def comparison(
    rounds: list[tuple[Round, list[StoredResponse]]],
    question_id: str,
    k: int | DisclosureRules,
    decided: Callable[[Round, list[StoredResponse]], Decision] | None = None,
) -> list[dict[str, Any]]:
    """One repeated question (same id) across rounds: the whole's figures per round."""
    out = []
    for current, responses in sorted(rounds, key=lambda p: p[0].number):
        q = current.questions.question(question_id)
        if q is None:
            continue
        decision = (
            decided(current, responses)
            if decided is not None
            else decide(current.questions.questions(), responses, rules_of(k))
        )
        result = question_results(q, responses, decision)
        out.append(
            {
                "round": current.id,
                "number": current.number,
                "closes_at": current.closes_at.isoformat(),
                "type": q.type.value,
                **(
                    {"all": result["all"]}
                    if "all" in result
                    else {"suppressed": True, "reason": result["reason"], "rule": result["rule"]}
                ),
            }
        )
    return out
