"""A closed round's results: per question, counts and shares overall, by district, by building type.

Privacy: a cell (the respondents to one question within one district or one
building type) is published only with at least k respondents; and since the
districts (and the building types) add up to the whole, the published whole
minus the published parts must not leave fewer than k respondents either, so
the smallest published part is withheld too until it does (complementary
suppression, as the rollups do for their groups; a flat two-partition version,
see docs/DECISIONS.md "Surveys"). A question with fewer than k respondents
in all is withheld whole. Free text is published only where staff approved
it, and only in the whole (never next to a district).
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select

from civic.surveys.rounds import Round
from civic.surveys.template import LIKERT, TEXT_TYPES, QType, Question
from telemetry.db.tables import survey_responses

BELOW_K = "fewer respondents than the privacy threshold"
COMPLEMENT = "withheld so that a withheld group cannot be found by subtraction"


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


def publishable(parts: dict[str, int], k: int) -> set[str]:
    """Parts of one whole to publish: each at least k, and the withheld ones together too."""
    public = {p for p, n in parts.items() if n >= k}
    while public:
        hidden = sum(n for p, n in parts.items() if p not in public)
        if hidden == 0 or hidden >= k:
            break
        public.discard(min(public, key=lambda p: (parts[p], p)))
    return public


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


def question_results(q: Question, responses: list[StoredResponse], k: int) -> dict[str, Any]:
    answered = [r for r in responses if q.id in r.answers]
    result: dict[str, Any] = {"question": q.id, "type": q.type.value, "text": q.text}
    if len(answered) < k:
        return result | {"suppressed": True, "reason": BELOW_K}
    result["all"] = tally(q, [r.answers[q.id] for r in answered])
    for kind in ("district", "building_type"):
        groups: dict[str, list[StoredResponse]] = {}
        for r in answered:
            groups.setdefault(getattr(r, kind), []).append(r)
        public = publishable({g: len(rs) for g, rs in groups.items()}, k)
        result[f"by_{kind}"] = {
            g: tally(q, [r.answers[q.id] for r in rs])
            if g in public
            else {"suppressed": True, "reason": BELOW_K if len(rs) < k else COMPLEMENT}
            for g, rs in sorted(groups.items())
        }
    if q.type in TEXT_TYPES:
        result["texts"] = sorted(r.answers[q.id] for r in answered if q.id in r.approved_texts)
    return result


def round_results(current: Round, responses: list[StoredResponse], k: int) -> dict[str, Any]:
    return {
        "round": current.id,
        "template": current.template,
        "number": current.number,
        "title": current.title,
        "status": current.status.value,
        "privacy_k": k,
        "questions": [question_results(q, responses, k) for q in current.questions.questions()],
    }


def comparison(
    rounds: list[tuple[Round, list[StoredResponse]]], question_id: str, k: int
) -> list[dict[str, Any]]:
    """One repeated question (same id) across rounds: the whole's figures per round."""
    out = []
    for current, responses in sorted(rounds, key=lambda p: p[0].number):
        q = current.questions.question(question_id)
        if q is None:
            continue
        result = question_results(q, responses, k)
        out.append(
            {
                "round": current.id,
                "number": current.number,
                "closes_at": current.closes_at.isoformat(),
                "type": q.type.value,
                **(
                    {"all": result["all"]}
                    if "all" in result
                    else {"suppressed": True, "reason": result["reason"]}
                ),
            }
        )
    return out
