"""Revisions (issue 24): a history import that revises a month must not let a reader
recover a protected cell from the two versions of the month's tables.

The attacker has both versions' published groups and knows which groups the revision
left unchanged (it can tell from the sites the import touched): those are the same
figure in both. Deciding the new version alone (the rollups before this rule) withholds
a group, for the new dominant factory, whose old figure is public: the attacker
subtracts it and has the factory. Deciding it with the old version (`decide(...,
before=...)`) does not let that happen.
"""

from __future__ import annotations

import pytest

from collector.rollup.disclosure import (
    Facts,
    UnitKey,
    Version,
    contributions,
    decide,
    energy_system,
)
from collector.rollup.groups import Group, SiteInfo
from telemetry.disclosure import (
    Constraint,
    DisclosureRules,
    Reason,
    System,
    audit,
    primary_needs,
)

RULES = DisclosureRules(k=5)
MONTH = 1_000_000_000_000
# The attacker's system holds the version published before as a period of its own.
BEFORE = MONTH - 1

SITES = [
    *(SiteInfo(f"ind-{i}", "29200", "2920064000", "industrial", 0) for i in range(5)),
    *(SiteInfo(f"shop-{i}", "29200", "2920065000", "commercial", 0) for i in range(5)),
    *(SiteInfo(f"office-{i}", "29200", "2920066000", "commercial", 0) for i in range(6)),
    SiteInfo("apt", "29140", "2914083000", "apartment", 840),
    *(SiteInfo(f"school-{i}", "29140", "2914083000", "education", 0) for i in range(5)),
]


def _use(site: str, imported: bool) -> float:
    if site == "ind-0" and imported:
        return 925.0  # the factory's history, imported late: 25 + 900 kWh
    return {"ind": 25.0, "shop": 10.0, "office": 15.0, "apt": 400.0, "school": 30.0}[
        site.split("-")[0]
    ]


def _cells(imported: bool, ts: int = MONTH) -> dict[UnitKey, Facts]:
    per_group: dict[UnitKey, list[tuple[float, int]]] = {}
    for info in SITES:
        for g in info.groups():
            share = (_use(info.site, imported), info.households)
            per_group.setdefault(("electricity", ts, g), []).append(share)
    return {
        key: Facts(sum(v for v, _ in vals), sum(max(h, 1) for _, h in vals), contributions(vals))
        for key, vals in per_group.items()
    }


def _attacker(old: dict[UnitKey, Facts], new: dict[UnitKey, Facts]) -> System:
    """Both versions' tables, each with its sums; an unchanged group equal in both."""
    renamed = {(u, BEFORE, g): f for (u, _t, g), f in old.items()}
    system = energy_system({**renamed, **new})
    for (u, ts, g), facts in new.items():
        if old.get((u, MONTH, g)) == facts:
            system.constraints.append(Constraint.total((u, ts, g), [(u, BEFORE, g)]))
    system.check()
    return system


def _seen(published_before: set[UnitKey], published_now: set[UnitKey]) -> set:
    return {(u, BEFORE, g) for u, _t, g in published_before} | published_now


FACTORY = ("electricity", MONTH, Group("29200", "2920064000", "all"))


def _first_version() -> tuple[dict[UnitKey, Facts], set[UnitKey], Version]:
    old = _cells(imported=False)
    shown, why = decide(old, RULES)
    assert not why  # before the import, nothing needed withholding
    return old, shown, Version(old, frozenset(shown), MONTH + 1)


def test_a_revision_decided_alone_gives_the_factory_away() -> None:
    old, shown_before, _version = _first_version()
    new = _cells(imported=True)
    shown_now, why = decide(new, RULES)  # the new version on its own
    assert why[FACTORY] is Reason.DOMINATED
    system = _attacker(old, new)
    _reasons, needs = primary_needs(system, RULES)
    # Each version alone is safe ...
    alone = energy_system(new)
    assert audit(alone, shown_now, primary_needs(alone, RULES)[1]) == []
    # ... but the complement it withheld was published before, unchanged.
    complements = {k for k, r in why.items() if r is Reason.PROTECTS}
    assert complements & shown_before
    exposed = {e.need.unit: e for e in audit(system, _seen(shown_before, shown_now), needs)}
    assert exposed[FACTORY].lo == pytest.approx(new[FACTORY].total)
    assert exposed[FACTORY].hi == pytest.approx(new[FACTORY].total)


def test_a_revision_decided_with_the_version_before_exposes_nothing() -> None:
    old, shown_before, version = _first_version()
    new = _cells(imported=True)
    shown_now, why = decide(new, RULES, before=version)
    assert why[FACTORY] is Reason.DOMINATED
    system = _attacker(old, new)
    _reasons, needs = primary_needs(system, RULES)
    assert audit(system, _seen(shown_before, shown_now), needs) == []
    # Once published, unchanged groups stay published; the other district is all there.
    unchanged = {k for k in shown_before if old[k] == new[k]}
    assert unchanged <= shown_now
    assert ("electricity", MONTH, Group("29140", "all", "all")) in shown_now
    # Cells of the old version never leak into the new one's decision.
    assert all(k[1] == MONTH for k in [*shown_now, *why])
