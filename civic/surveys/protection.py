"""A round's published tables as one linked system (telemetry.disclosure), protected together.

Units: per question, the respondents to it in a cell — the whole, each district, each
building type (published), and each district × building type crossing (never published,
but sensitive like any other cell: "district minus its apartments" is a crossing) — with
their figures: respondents, the count of each answer (each Likert point; matrix: per row,
its respondents and points). And the round's responses per cell, which the methodology's
response rates publish by district. Constraints: every figure adds up across districts and
across building types; a single-choice or Likert question's counts add up to its
respondents (a matrix row's to the row's); a multiple-choice count is at most the
respondents; a question's respondents are at most the cell's responses.

Rules: too few respondents (k), and group disclosure — a cell where one answer holds every
response is withheld unless the whole gave that answer too. Number questions publish a
mean and median: their respondents are protected; an all-alike number cell is not
detected yet (docs/DECISIONS.md).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any

from civic.surveys.template import LIKERT, QType, Question
from telemetry.disclosure import (
    Constraint,
    DisclosureRules,
    Kind,
    Protection,
    Reason,
    System,
    Unit,
    hierarchy,
    protect,
)

ALL = "all"
RESPONSES = "_responses"  # the pseudo-question of the round's responses per cell
N = "n"

Cell = tuple[str, str]  # (district or all, building type or all)


@dataclass(frozen=True, slots=True)
class Answered:
    district: str
    building_type: str
    answer: Any


def _cells(district: str, building_type: str) -> tuple[Cell, ...]:
    return ((ALL, ALL), (district, ALL), (ALL, building_type), (district, building_type))


def _items(q: Question | None) -> list[tuple[str, ...]]:
    """The figure suffixes of a question's cell: ("n",), per option/point, matrix rows."""
    if q is None or q.type not in (QType.SINGLE, QType.MULTIPLE, QType.LIKERT, QType.MATRIX):
        return [(N,)]
    if q.type in (QType.SINGLE, QType.MULTIPLE):
        return [(N,), *((o.id,) for o in q.options)]
    if q.type is QType.LIKERT:
        return [(N,), *((str(p),) for p in LIKERT)]
    return [(N,), *((r.id, N) for r in q.rows), *((r.id, str(p)) for r in q.rows for p in LIKERT)]


def _counts(q: Question | None, answer: Any) -> list[tuple[str, ...]]:
    """The figure suffixes one answer adds 1 to."""
    out: list[tuple[str, ...]] = [(N,)]
    if q is None:
        return out
    if q.type is QType.SINGLE:
        out.append((answer,))
    elif q.type is QType.MULTIPLE:
        out.extend((a,) for a in answer)
    elif q.type is QType.LIKERT:
        out.append((str(answer),))
    elif q.type is QType.MATRIX:
        for row, point in answer.items():
            out.extend(((row, N), (row, str(point))))
    return out


def _alike_groups(q: Question | None) -> list[tuple[tuple[str, ...], list[tuple[str, ...]]]]:
    """(respondents suffix, answer suffixes) sets where one answer holding all is telling."""
    items = _items(q)
    if q is None or len(items) == 1:
        return []
    if q.type is QType.MATRIX:
        return [((r.id, N), [(r.id, str(p)) for p in LIKERT]) for r in q.rows]
    return [((N,), items[1:])]


def round_system(
    questions: Iterable[Question], answered: dict[str, list[Answered]], responses: list[Cell]
) -> tuple[System, dict[Hashable, tuple[str, Cell]]]:
    """The system of a round: units keyed (question id, cell); `responses` lists each
    response's (district, building type); `answered` each question's answers."""
    system = System()
    qs: dict[str, Question | None] = {q.id: q for q in questions}
    tallies: dict[str, dict[Cell, Counter[tuple[str, ...]]]] = {}
    tallies[RESPONSES] = defaultdict(Counter)
    for d, t in responses:
        for cell in _cells(d, t):
            tallies[RESPONSES][cell][(N,)] += 1
    qs[RESPONSES] = None
    for qid, rows in answered.items():
        per: dict[Cell, Counter[tuple[str, ...]]] = defaultdict(Counter)
        for a in rows:
            for cell in _cells(a.district, a.building_type):
                per[cell].update(_counts(qs[qid], a.answer))
        tallies[qid] = per
    index: dict[Hashable, tuple[str, Cell]] = {}
    for qid, per in tallies.items():
        q = qs[qid]
        items = _items(q)
        whole = per.get((ALL, ALL), Counter())
        for cell, counts in per.items():
            figures = {(qid, *cell, *item): float(counts[item]) for item in items}
            alike = []
            for n_item, answers in _alike_groups(q):
                n = counts[n_item]
                for a in answers:
                    # Telling unless the whole answered so too.
                    if n > 0 and counts[a] == n and whole[a] != whole[n_item]:
                        alike.append(((qid, *cell, *a), (qid, *cell, *n_item)))
            unit = Unit(
                Kind.FREQUENCY,
                holders=counts[(N,)],
                figures=figures,
                main=(qid, *cell, N),
                alike=tuple(alike),
                offered=ALL in cell,
                weight=10.0 ** sum(c == ALL for c in cell),  # keep wholes before parts
            )
            system.add((qid, cell), unit)
            index[(qid, cell)] = (qid, cell)
        for item in items:
            system.constraints.extend(hierarchy({cell: (qid, *cell, *item) for cell in per}, ALL))
        for cell in per:
            fig = _figure(qid, cell)
            if q is not None and q.type in (QType.SINGLE, QType.LIKERT):
                system.constraints.append(Constraint.total(fig(N), [fig(*i) for i in items[1:]]))
            elif q is not None and q.type is QType.MULTIPLE:
                system.constraints.extend(Constraint.at_most(fig(*i), fig(N)) for i in items[1:])
            elif q is not None and q.type is QType.MATRIX:
                for r in q.rows:
                    points = [fig(r.id, str(p)) for p in LIKERT]
                    system.constraints.append(Constraint.total(fig(r.id, N), points))
                    system.constraints.append(Constraint.at_most(fig(r.id, N), fig(N)))
            if qid != RESPONSES:
                system.constraints.append(Constraint.at_most(fig(N), (RESPONSES, *cell, N)))
    return system, index


def _figure(qid: str, cell: Cell) -> Any:
    def fig(*item: str) -> tuple[str, ...]:
        return (qid, *cell, *item)

    return fig


def protect_round(
    questions: Iterable[Question],
    answered: dict[str, list[Answered]],
    responses: list[Cell],
    rules: DisclosureRules,
) -> tuple[System, Protection]:
    system, _ = round_system(questions, answered, responses)
    system.check()
    return system, protect(system, rules)


__all__ = ["ALL", "RESPONSES", "Answered", "Reason", "protect_round", "round_system"]
