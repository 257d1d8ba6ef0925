"""The attacker, with the published tables only (issue 24): every figure a reader can
combine — survey results over two rounds (whole, districts, building types, response
counts) and energy groups of a day with its hours — is fed to the linear-programming
audit, which finds the narrowest interval any combination gives each protected cell.

Today's rules (before issue 24: k per cell, complementary suppression per breakdown and
per period) let it recover cells; the shared disclosure control does not.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from civic.surveys.protection import ALL, RESPONSES, Answered, round_system
from civic.surveys.results import StoredResponse, decide, question_results
from civic.surveys.template import Question
from collector.rollup.complementary import publishable as old_energy_publishable
from collector.rollup.disclosure import Facts, UnitKey, contributions, energy_system
from collector.rollup.groups import Group, Holders, SiteInfo
from telemetry.disclosure import DisclosureRules, Reason, System, audit, primary_needs, protect
from tests.disclosure.old_rules import old_publishable

K = 3
RULES = DisclosureRules(k=K)

SUPPORT = Question.model_validate(
    {
        "id": "support",
        "type": "single",
        "text": "Do you support the city's energy policy?",
        "options": [{"id": o, "label": o} for o in ("yes", "no", "unsure")],
    }
)
USEFUL = Question.model_validate({"id": "useful", "type": "likert", "text": "Useful?"})
QUESTIONS = [SUPPORT, USEFUL]


def _responses(rows: Iterable[tuple[str, str, str, int, int]]) -> list[StoredResponse]:
    out = []
    for district, btype, support, useful, n in rows:
        for _ in range(n):
            out.append(StoredResponse(district, btype, {"support": support, "useful": useful}, []))
    return out


# Round 1: the example — district 29110 {yes 3, no 1}, its apartments {yes 3}:
# the district minus its apartments is its only detached house.
ROUND_1 = _responses(
    [
        ("29110", "apartment", "yes", 4, 3),
        ("29110", "detached_house", "no", 2, 1),
        ("29140", "apartment", "yes", 5, 2),
        ("29140", "apartment", "unsure", 3, 2),
        ("29140", "detached_house", "yes", 4, 3),
        ("29155", "apartment", "no", 1, 2),
        ("29155", "apartment", "yes", 3, 2),
    ]
)
# Round 2: a district whose every respondent said "no" (group disclosure), a lone
# industrial respondent.
ROUND_2 = _responses(
    [
        ("29110", "apartment", "no", 2, 4),
        ("29140", "apartment", "yes", 4, 3),
        ("29140", "detached_house", "unsure", 3, 2),
        ("29140", "detached_house", "yes", 5, 1),
        ("29155", "apartment", "yes", 4, 3),
        ("29155", "industrial", "no", 1, 1),
        ("29155", "apartment", "unsure", 2, 1),
    ]
)


def _survey_system(responses: list[StoredResponse]) -> System:
    answered = {
        q.id: [Answered(r.district, r.building_type, r.answers[q.id]) for r in responses]
        for q in QUESTIONS
    }
    system, _ = round_system(
        QUESTIONS, answered, [(r.district, r.building_type) for r in responses]
    )
    system.check()
    return system


def _old_survey_published(responses: list[StoredResponse]) -> set:
    """What the rules before issue 24 published: the whole with k respondents, districts
    and building types each by `publishable` over its own breakdown; response counts by
    district the same way (the methodology's response rates)."""
    published: set = set()
    per_district: dict[str, int] = {}
    per_type: dict[str, int] = {}
    for r in responses:
        per_district[r.district] = per_district.get(r.district, 0) + 1
        per_type[r.building_type] = per_type.get(r.building_type, 0) + 1
    for qid in (*(q.id for q in QUESTIONS), RESPONSES):
        if len(responses) >= K:
            published.add((qid, (ALL, ALL)))
        if qid == RESPONSES:
            published |= {(qid, (d, ALL)) for d in old_publishable(per_district, K)}
            continue
        published |= {(qid, (d, ALL)) for d in old_publishable(per_district, K)}
        published |= {(qid, (ALL, t)) for t in old_publishable(per_type, K)}
    return published


def _new_survey_published(responses: list[StoredResponse]) -> set:
    """What the results and methodology publish now, read off the results themselves."""
    decision = decide(QUESTIONS, responses, RULES)
    published: set = set()
    for q in QUESTIONS:
        result = question_results(q, responses, decision)
        if "all" in result:
            published.add((q.id, (ALL, ALL)))
            whole = result["all"]["counts"]
            assert sum(whole.values()) == result["all"]["respondents"]
        for d, cell in result.get("by_district", {}).items():
            if not cell.get("suppressed"):
                published.add((q.id, (d, ALL)))
        for t, cell in result.get("by_building_type", {}).items():
            if not cell.get("suppressed"):
                published.add((q.id, (ALL, t)))
    published |= {
        (RESPONSES, cell)
        for cell in [(ALL, ALL), *((d, ALL) for d in {r.district for r in responses})]
        if decision.withheld(RESPONSES, cell) is None
    }
    return published


@pytest.mark.parametrize("responses", [ROUND_1, ROUND_2], ids=["round-1", "round-2"])
def test_survey_tables_under_todays_rules_give_cells_away(responses: list[StoredResponse]) -> None:
    system = _survey_system(responses)
    _reasons, needs = primary_needs(system, RULES)
    exposed = audit(system, _old_survey_published(responses), needs)
    assert exposed, "the old rules were expected to leak"
    if responses is ROUND_1:
        # The issue's difference: 29110's detached house answered "no", exactly.
        leaked = {(e.need.unit, e.need.coefs, e.lo, e.hi) for e in exposed}
        cell = ("support", ("29110", "detached_house"))
        assert (cell, (((*cell[0:1], *cell[1], "no"), 1.0),), 1, 1) in leaked
    else:
        # Group disclosure: every respondent of 29110 said "no", published as such.
        assert any(
            e.need.reason is Reason.ALL_ALIKE and e.need.unit == ("support", ("29110", ALL))
            for e in exposed
        )


@pytest.mark.parametrize("responses", [ROUND_1, ROUND_2], ids=["round-1", "round-2"])
def test_survey_tables_now_recover_no_protected_cell(responses: list[StoredResponse]) -> None:
    system = _survey_system(responses)
    reasons, needs = primary_needs(system, RULES)
    published = _new_survey_published(responses)
    assert audit(system, published, needs) == []
    # Still informative: the whole and some breakdowns are there.
    assert ("support", (ALL, ALL)) in published
    assert len({u for u in published if u[1] != (ALL, ALL)}) >= 2
    assert not published & set(reasons)


# --- energy: a day with its hours, a dong with a dominant site ----------------------

HOUR = 3_600_000
DAY = 0
HOURS = [DAY + i * HOUR for i in range(4)]  # a short "day" of four hours

SITES = [
    # A dong of five industrial sites where one factory uses ~90 %.
    *(SiteInfo(f"ind-{i}", "29200", "2920064000", "industrial", 0) for i in range(5)),
    # A dong of five shops: in the third hour one of them does not report.
    *(SiteInfo(f"shop-{i}", "29200", "2920065000", "commercial", 0) for i in range(5)),
    # An apartment complex and five offices elsewhere.
    SiteInfo("apt", "29140", "2914083000", "apartment", 840),
    *(SiteInfo(f"office-{i}", "29140", "2914083000", "commercial", 0) for i in range(5)),
]


def _use(site: str, hour: int) -> float | None:
    if site == "shop-0" and hour == HOURS[2]:
        return None  # did not report: that hour's dong has four shops, below k
    if site == "ind-0":
        return 900.0
    return {"ind": 25.0, "shop": 10.0 + hour // HOUR, "apt": 400.0, "office": 15.0}[
        site.split("-")[0]
    ]


ENERGY_RULES = DisclosureRules(k=5)


def _energy_cells() -> tuple[dict[UnitKey, Facts], dict[tuple[str, int], list[int]], dict]:
    per_group: dict[UnitKey, list[tuple[float, int]]] = {}
    holders: dict[tuple[str, int], dict[Group, Holders]] = {}
    for ts in [*HOURS, DAY + 1]:  # DAY + 1 ms: the day's own period key
        for info in SITES:
            if ts == DAY + 1:
                values = [_use(info.site, h) for h in HOURS]
                if all(v is None for v in values):
                    continue
                value = sum(v for v in values if v is not None)
            else:
                v = _use(info.site, ts)
                if v is None:
                    continue
                value = v
            for g in info.groups():
                per_group.setdefault(("electricity", ts, g), []).append((value, info.households))
                holders.setdefault(("electricity", ts), {}).setdefault(g, Holders()).add_site(info)
    cells = {
        key: Facts(
            sum(v for v, _ in vals),
            sum(h if h > 0 else 1 for _, h in vals),
            contributions(vals),
        )
        for key, vals in per_group.items()
    }
    return cells, {("electricity", DAY + 1): HOURS}, holders


def _old_energy_published(holders: dict) -> set:
    """The rollups before issue 24: each period's groups alone (k, then complementary
    suppression within each breakdown of that period)."""
    out = set()
    for (utility, ts), cells in holders.items():
        public, _extra = old_energy_publishable(cells, ENERGY_RULES.k)
        out |= {(utility, ts, g) for g in public}
    return out


def test_energy_tables_under_todays_rules_give_cells_away() -> None:
    cells, days, holders = _energy_cells()
    system = energy_system(cells, days)
    system.check()
    reasons, needs = primary_needs(system, ENERGY_RULES)
    exposed = audit(system, _old_energy_published(holders), needs)
    shops_hour = ("electricity", HOURS[2], Group("29200", "2920065000", "all"))
    factory_dong = ("electricity", HOURS[0], Group("29200", "2920064000", "all"))
    found = {e.need.unit: e for e in exposed}
    # The day minus its published hours is the withheld hour of the shops, exactly.
    assert found[shops_hour].lo == pytest.approx(cells[shops_hour].total)
    assert found[shops_hour].hi == pytest.approx(cells[shops_hour].total)
    # The factory's dong was published whole: the factory's use to within a few %.
    assert reasons[factory_dong] is Reason.DOMINATED
    assert found[factory_dong].lo == found[factory_dong].hi == cells[factory_dong].total


def test_energy_tables_now_recover_no_protected_cell() -> None:
    cells, days, _holders = _energy_cells()
    system = energy_system(cells, days)
    result = protect(system, ENERGY_RULES)
    assert audit(system, result.published, result.needs) == []
    factory_dong = ("electricity", HOURS[0], Group("29200", "2920064000", "all"))
    assert result.reasons[factory_dong] is Reason.DOMINATED
    # The apartment complex's 840 households are no dominant holder; the city is shown.
    assert ("electricity", HOURS[0], Group("all", "all", "all")) in result.published
    assert ("electricity", HOURS[0], Group("29140", "2914083000", "apartment")) in result.published
