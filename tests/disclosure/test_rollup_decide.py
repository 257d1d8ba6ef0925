"""The rollups' decision per period (aggregate.decide_cells): safe by the audit whether it
starts from nothing, from the direct-difference rule or from the pass before's pattern;
a pattern that still protects is kept (figures do not flicker between versions)."""

from __future__ import annotations

from collector.rollup.aggregate import Cell, decide_cells
from collector.rollup.disclosure import Facts, Patterns, energy_system
from collector.rollup.groups import Group, SiteInfo
from telemetry.disclosure import DisclosureRules, audit, primary_needs

RULES = DisclosureRules(k=5)
SITES = [
    SiteInfo("hh-1", "29170", "2917065600", "detached_house", 1),
    SiteInfo("hh-2", "29170", "2917065600", "detached_house", 1),
    SiteInfo("apt", "29140", "2914083000", "apartment", 840),
    *(SiteInfo(f"sch-{i}", "29155", "2915551000", "education", 0) for i in range(5)),
    *(SiteInfo(f"ind-{i}", "29200", "2920064000", "industrial", 0) for i in range(6)),
]


def _cells(scale: float, ts: int) -> dict:
    cells: dict = {}
    for n, info in enumerate(SITES, start=1):
        for g in info.groups():
            cell = cells.setdefault(("electricity", ts, g), Cell())
            cell.add(info, scale * (10 + n), 1, new_site=True)
    for cell in cells.values():
        cell.top = (max(10.0, cell.total / 3),)  # even enough: no dominance here
    return cells


def _safe(cells: dict, public: set) -> bool:
    facts = {k: Facts(c.total, c.holders.count, c.top) for k, c in cells.items()}
    system = energy_system(facts)
    _reasons, needs = primary_needs(system, RULES)
    return audit(system, public, needs) == []


def test_each_pass_is_safe_and_keeps_a_pattern_that_still_protects() -> None:
    patterns = Patterns()
    first = _cells(1.0, 0)
    public, reasons = decide_cells(first, RULES, patterns, "consumption_1h")
    assert _safe(first, public)
    withheld = {k for k, r in reasons.items() if r.value == "protects_another"}
    assert withheld  # the households' district needs a complement
    # The next pass: the hour's figures grew; the pattern is the one kept.
    later = _cells(1.3, 0)
    again, why = decide_cells(later, RULES, patterns, "consumption_1h")
    assert _safe(later, again)
    assert {k for k, r in why.items() if r.value == "protects_another"} == withheld
    # A new hour is decided on its own, as if no hour had been before it.
    nxt = _cells(0.9, 3_600_000)
    shown, because = decide_cells(nxt, RULES, patterns, "consumption_1h")
    assert _safe(nxt, shown)
    assert (shown, because) == decide_cells(_cells(0.9, 3_600_000), RULES, Patterns(), "h")


def test_a_new_period_does_not_inherit_the_pattern_of_the_one_before() -> None:
    """A pattern is withheld again whole while it protects, never given back: inherited
    from period to period it only grew (the city demo's live districts, withheld within
    minutes). Its own period keeps it; the next period starts afresh."""
    city = ("electricity", 0, Group("all", "all", "all"))
    patterns = Patterns()
    _public, reasons = decide_cells(_cells(1.0, 0), RULES, patterns, "consumption_1h")
    grown = {k for k, r in reasons.items() if r.value == "protects_another"} | {city}
    patterns.put("consumption_1h", "electricity", 0, grown)  # as an earlier version needed
    again, _why = decide_cells(_cells(1.3, 0), RULES, patterns, "consumption_1h")
    assert city not in again  # the period's own pattern (its figures grew), kept
    later, _why = decide_cells(_cells(1.0, 3_600_000), RULES, patterns, "consumption_1h")
    assert ("electricity", 3_600_000, city[2]) in later


def test_without_a_pattern_the_direct_difference_rule_seeds_the_decision() -> None:
    cells = _cells(1.0, 0)
    public, _reasons = decide_cells(cells, RULES)
    assert _safe(cells, public)
    assert ("electricity", 0, SITES[2].groups()[0]) in public  # apartments' type, city-wide
