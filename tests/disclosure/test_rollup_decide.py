"""The rollups' decision per period (aggregate.decide_cells): safe by the audit whether it
starts from nothing, from the direct-difference rule or from the pass before's pattern;
a pattern that still protects is kept (figures do not flicker between versions)."""

from __future__ import annotations

from collector.rollup.aggregate import Cell, decide_cells
from collector.rollup.disclosure import Facts, Patterns, energy_system
from collector.rollup.groups import SiteInfo
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
    # A new hour starts from the one before, moved to its own period.
    nxt = _cells(0.9, 3_600_000)
    shown, because = decide_cells(nxt, RULES, patterns, "consumption_1h")
    assert _safe(nxt, shown)
    moved = {(u, 3_600_000, g) for u, _t, g in withheld}
    assert {k for k, r in because.items() if r.value == "protects_another"} == moved


def test_without_a_pattern_the_direct_difference_rule_seeds_the_decision() -> None:
    cells = _cells(1.0, 0)
    public, _reasons = decide_cells(cells, RULES)
    assert _safe(cells, public)
    assert ("electricity", 0, SITES[2].groups()[0]) in public  # apartments' type, city-wide
