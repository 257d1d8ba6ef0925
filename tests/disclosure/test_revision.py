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

from collector.rollup.aggregate import aggregate, group_points
from collector.rollup.disclosure import (
    Facts,
    Patterns,
    UnitKey,
    Version,
    contributions,
    decide,
    energy_system,
)
from collector.rollup.groups import Group, SiteInfo
from telemetry.disclosure import (
    DisclosureRules,
    Reason,
    audit,
    primary_needs,
)
from telemetry.influx_schema import CONSUMPTION_1MO, FIELD_REVISED, FIELD_REVISION_WITHHELD
from telemetry.months import next_month
from tests.disclosure.versions import seen, two_versions

RULES = DisclosureRules(k=5)
MONTH = 1_000_000_000_000

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
    system = two_versions(old, new)
    _reasons, needs = primary_needs(system, RULES)
    # Each version alone is safe ...
    alone = energy_system(new)
    assert audit(alone, shown_now, primary_needs(alone, RULES)[1]) == []
    # ... but the complement it withheld was published before, unchanged.
    complements = {k for k, r in why.items() if r is Reason.PROTECTS}
    assert complements & shown_before
    exposed = {e.need.unit: e for e in audit(system, seen(shown_before, shown_now), needs)}
    assert exposed[FACTORY].lo == pytest.approx(new[FACTORY].total)
    assert exposed[FACTORY].hi == pytest.approx(new[FACTORY].total)


def test_a_revision_decided_with_the_version_before_exposes_nothing() -> None:
    old, shown_before, version = _first_version()
    new = _cells(imported=True)
    shown_now, why = decide(new, RULES, before=version)
    assert why[FACTORY] is Reason.DOMINATED
    system = two_versions(old, new)
    _reasons, needs = primary_needs(system, RULES)
    assert audit(system, seen(shown_before, shown_now), needs) == []
    # Once published, unchanged groups stay published; the other district is all there.
    unchanged = {k for k in shown_before if old[k] == new[k]}
    assert unchanged <= shown_now
    assert ("electricity", MONTH, Group("29140", "all", "all")) in shown_now
    # Cells of the old version never leak into the new one's decision.
    assert all(k[1] == MONTH for k in [*shown_now, *why])


# --- the rollup: two passes over a month, the second after the import ---------------


def _pass(patterns: Patterns, imported: bool, now_ms: int) -> list[str]:
    items = [("electricity", info.site, MONTH, _use(info.site, imported), 1) for info in SITES]
    cells, _unknown = aggregate(items, {info.site: info for info in SITES})
    out = group_points(CONSUMPTION_1MO, cells, RULES, _fields, patterns, now_ms)
    return out.public


def _fields(_utility: str, total: float) -> dict[str, float]:
    return {"consumption": total}


def _published(lines: list[str], field: str) -> dict[Group, str]:
    """Group → the line of `field` among the public lines (figures, or a revision mark)."""
    out = {}
    for text in lines:
        head, fields, _ts = text.split(" ")
        measurement, *tags = head.split(",")
        if measurement != CONSUMPTION_1MO or not fields.startswith(field + "="):
            continue
        t = dict(tag.split("=") for tag in tags)
        out[Group(t["district"], t["dong"], t["building_type"])] = fields
    return out


def test_the_rollup_marks_a_revised_month_and_keeps_what_it_published() -> None:
    patterns = Patterns()
    after_month = next_month(MONTH) + 3_600_000
    first = _published(_pass(patterns, False, after_month), "consumption")
    assert len(first) == len(_cells(imported=False))  # everything shown
    revision = after_month + 86_400_000
    lines = _pass(patterns, True, revision)
    shown = _published(lines, "consumption")
    kept = _published(lines, FIELD_REVISION_WITHHELD)
    old, new = _cells(imported=False), _cells(imported=True)
    for (_u, _t, g), facts in new.items():
        if facts == old[("electricity", MONTH, g)]:
            assert g in shown and FIELD_REVISED not in shown[g]  # unchanged, still shown
        elif g in shown:
            assert f"{FIELD_REVISED}={revision}i" in shown[g]
        else:  # withheld now: the published figures stay, marked
            assert kept[g] == f"{FIELD_REVISION_WITHHELD}={revision}i"
    assert FACTORY[2] in kept  # the factory's dong: its new figure is withheld
    # The two public versions give the attacker nothing.
    system = two_versions(old, new)
    _reasons, needs = primary_needs(system, RULES)
    published_before = {("electricity", MONTH, g) for g in first}
    published_now = {("electricity", MONTH, g) for g in shown}
    assert audit(system, seen(published_before, published_now), needs) == []


def test_a_period_still_filling_is_not_marked_revised_but_a_stale_figure_is() -> None:
    patterns = Patterns()
    _pass(patterns, False, MONTH + 3_600_000)  # during the month
    lines = _pass(patterns, True, MONTH + 7_200_000)
    assert not any(FIELD_REVISED in t for t in lines)
    # The figure shown for the factory's dong is not its latest: said so.
    assert FACTORY[2] in _published(lines, FIELD_REVISION_WITHHELD)
