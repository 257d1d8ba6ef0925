"""Exports of a closed round: results as CSV and JSON, a data dictionary, a methodology note.

The CSV holds exactly the published cells of the results (withheld cells as
rows marked suppressed, with no figure), never single responses: a row per
response would carry its district and building type past the privacy rule.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from typing import Any

from sqlalchemy import Engine, select

from civic.surveys.protection import ALL, RESPONSES
from civic.surveys.responses import SiteLookup
from civic.surveys.results import REASONS, Decision, StoredResponse, decide, rules_of
from civic.surveys.rounds import Round
from civic.surveys.template import LIKERT, LIKERT_LABELS_KO, QType
from telemetry.db.tables import participation_codes
from telemetry.disclosure import DisclosureRules

CSV_COLUMNS = [
    "round",
    "question_id",
    "group_kind",
    "group",
    "item",
    "count",
    "share",
    "value",
    "respondents",
    "suppressed",
]


def data_dictionary(current: Round) -> list[dict[str, Any]]:
    """Every question: id, section, text, type, required, options/rows/scale, condition."""
    out = []
    for section in current.questions.sections:
        for q in section.questions:
            entry: dict[str, Any] = {
                "question_id": q.id,
                "section": section.id,
                "text": q.text,
                "type": q.type.value,
                "required": q.required,
            }
            if q.options:
                entry["options"] = {o.id: o.label for o in q.options}
            if q.type in (QType.LIKERT, QType.MATRIX):
                entry["scale"] = dict(zip(map(str, LIKERT), LIKERT_LABELS_KO, strict=True))
            if q.rows:
                entry["rows"] = {r.id: r.label for r in q.rows}
            if q.type is QType.NUMBER:
                entry["range"] = [q.min, q.max]
            if q.show_if:
                entry["shown_if"] = q.show_if.model_dump()
            out.append(entry)
    return out


def eligible_by_district(engine: Engine, current: Round, site_stratum: SiteLookup) -> Counter[str]:
    """Households holding a participation code issued before the round closed, by district."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(participation_codes.c.site, participation_codes.c.household_key)
            .where(participation_codes.c.issued_at < current.closes_at)
            .distinct()
        ).all()
    return Counter(site_stratum(r.site).district for r in rows)


def methodology(
    current: Round,
    responses: list[StoredResponse],
    eligible: Counter[str],
    k: int | DisclosureRules,
    decision: Decision | None = None,
) -> dict[str, Any]:
    rules = rules_of(k)
    k = rules.k
    answered = Counter(r.district for r in responses)
    decision = decision or decide(current.questions.questions(), responses, rules)

    def rate(d: str) -> dict[str, Any]:
        reason = decision.withheld(RESPONSES, (d, ALL)) if answered[d] else None
        if reason is None:
            return _rate(answered[d], eligible[d])
        return {"suppressed": True, "reason": REASONS[reason], "rule": reason.value}

    whole = decision.withheld(RESPONSES, (ALL, ALL)) if responses else None
    return {
        "who_could_answer": (
            "Households holding a participation code from their site's manager: verified "
            "residents online, or on paper entered by city staff with the household's code. "
            "One response per household per round, enforced by the database."
        ),
        "period": {
            "opens_at": current.opens_at.isoformat(),
            "closes_at": current.closes_at.isoformat(),
        },
        "responses": len(responses) if responses and whole is None else None,
        "eligible_households": sum(eligible.values()),
        "response_rate_by_district": {d: rate(d) for d in sorted(set(eligible) | set(answered))},
        "suppression": (
            f"A cell (the respondents to one question in one district or building type, and "
            f"where they cross) is withheld with fewer than {k} respondents, or when all its "
            f"respondents gave the same answer and the whole did not (that would reveal each "
            f"one's answer). Further cells are withheld until no withheld cell can be narrowed "
            f"down by combining any published figures of the round (totals, districts, "
            f"building types, response rates), checked by linear programming: a withheld count "
            f"must stay uncertain by at least one respondent (or {rules.protection_pct:g} % of "
            f"it) either way. A question whose whole is withheld is withheld whole. Free-text "
            f"answers appear only after staff approved each one, and never by district or "
            f"building type."
        ),
        "anonymity": (
            "Responses are stored apart from who answered: random ids, the day only, the "
            "respondent site's district and building type; no household key."
        ),
    }


def _rate(responses: int, eligible: int) -> dict[str, Any]:
    rate = round(responses / eligible, 4) if eligible else None
    return {"responses": responses, "eligible": eligible, "rate": rate}


def csv_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for q in results["questions"]:
        base = {"round": results["round"], "question_id": q["question"]}
        if q.get("suppressed"):
            rows.append(base | {"group_kind": "all", "suppressed": 1})
            continue
        cells = [("all", "", q["all"])]
        for kind in ("district", "building_type"):
            cells += [(kind, g, cell) for g, cell in q[f"by_{kind}"].items()]
        for kind, group, cell in cells:
            at = base | {"group_kind": kind, "group": group}
            rows += [at | r for r in _cell_rows(cell)]
        rows += [
            base | {"group_kind": "all", "item": "text", "value": t} for t in q.get("texts", [])
        ]
    return rows


def _cell_rows(cell: dict[str, Any]) -> list[dict[str, Any]]:
    if cell.get("suppressed"):
        return [{"suppressed": 1}]
    n = cell["respondents"]
    out = [
        {"item": key, "count": c, "share": cell["shares"][key], "respondents": n}
        for key, c in cell.get("counts", {}).items()
    ]
    for row_id, scale in cell.get("rows", {}).items():
        out += [
            {"item": f"{row_id}={p}", "count": c, "share": scale["shares"][p], "respondents": n}
            for p, c in scale["counts"].items()
        ]
        out.append({"item": f"{row_id}:mean", "value": scale["mean"], "respondents": n})
    out += [
        {"item": stat, "value": cell[stat], "respondents": n}
        for stat in ("mean", "median")
        if stat in cell
    ]
    return out or [{"item": "respondents", "respondents": n}]


def to_csv(results: dict[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in csv_rows(results):
        writer.writerow({c: row.get(c, "" if c != "suppressed" else 0) for c in CSV_COLUMNS})
    return buffer.getvalue()


def dictionary_csv(current: Round) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["question_id", "section", "type", "required", "text", "value", "label"])
    for q in data_dictionary(current):
        head = [q["question_id"], q["section"], q["type"], q["required"], q["text"]]
        values = {**q.get("options", {}), **q.get("rows", {}), **q.get("scale", {})}
        writer.writerows([[*head, v, label] for v, label in values.items()] or [[*head, "", ""]])
    return buffer.getvalue()
