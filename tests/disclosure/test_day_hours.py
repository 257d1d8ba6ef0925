"""A day with its hours as the rollups decide them (issue 24): each hour on its own when
it is decided, then the day with its hours (`decide(..., hours=...)`: the day's hierarchy
with every group's time table, the hours fixed as they were published). The attacker has
every published hour and the day; the LP audit over the whole day-and-hours system (every
hierarchy and every group's sum) finds no protected group narrowed. Deciding the day on
its own, as the rollups did before, gives the shops' missing hour away.
"""

from __future__ import annotations

import pytest

from collector.rollup.disclosure import (
    Facts,
    UnitKey,
    Version,
    contributions,
    decide,
)
from collector.rollup.groups import Group, SiteInfo
from telemetry.disclosure import Reason, audit, primary_needs
from tests.disclosure.attacker import with_parts
from tests.disclosure.test_attack import ENERGY_RULES, HOURS

SITES = [
    *(SiteInfo(f"ind-{i}", "29200", "2920064000", "industrial", 0) for i in range(6)),
    # Five shops: in the third hour one of them does not report (four: below k).
    *(SiteInfo(f"shop-{i}", "29200", "2920065000", "commercial", 0) for i in range(5)),
    SiteInfo("apt", "29140", "2914083000", "apartment", 840),
    *(SiteInfo(f"office-{i}", "29140", "2914083000", "commercial", 0) for i in range(5)),
]


def _use(site: str, hour: int) -> float | None:
    if site == "shop-0" and hour == HOURS[2]:
        return None
    kind = site.split("-")[0]
    return {"ind": 25.0, "shop": 10.0 + hour // 3_600_000, "apt": 400.0, "office": 15.0}[kind]


DAY = HOURS[0]  # a day's period starts with its first hour, as in the rollups
AUDIT_DAY = DAY - 7  # the day's key in the attacker's system (apart from its first hour)
SHOPS_HOUR = ("electricity", HOURS[2], Group("29200", "2920065000", "all"))


def _period(ts: int, day: bool = False) -> dict[UnitKey, Facts]:
    shares: dict[UnitKey, list[tuple[float, int]]] = {}
    for info in SITES:
        found = [_use(info.site, h) for h in (HOURS if day else [ts])]
        if all(v is None for v in found):
            continue
        value = sum(v for v in found if v is not None)
        for g in info.groups():
            shares.setdefault(("electricity", ts, g), []).append((value, info.households))
    return {
        key: Facts(sum(v for v, _ in found), sum(max(h, 1) for _, h in found), contributions(found))
        for key, found in shares.items()
    }


def _hours() -> tuple[dict[UnitKey, Facts], dict[int, Version]]:
    """Each hour decided on its own, as a pass decides it."""
    facts: dict[UnitKey, Facts] = {}
    versions = {}
    for h in HOURS:
        cells = _period(h)
        shown, why = decide(cells, ENERGY_RULES)
        pattern = frozenset(k for k, r in why.items() if r.value == "protects_another")
        versions[h] = Version(cells, frozenset(shown), 0, pattern)
        facts |= cells
    return facts, versions


def _exposed(with_hours: bool) -> dict:
    hour_facts, versions = _hours()
    day = _period(DAY, day=True)
    shown, _why = decide(day, ENERGY_RULES, hours=versions if with_hours else None)
    system = with_parts(hour_facts, day, AUDIT_DAY, HOURS)
    _reasons, needs = primary_needs(system, ENERGY_RULES)
    published = {k for v in versions.values() for k in v.published}
    published |= {(u, AUDIT_DAY, g) for u, _t, g in shown}
    assert any(k[1] == AUDIT_DAY for k in published)  # the day says something
    return {e.need.unit: e for e in audit(system, published, needs)}


def test_a_day_decided_on_its_own_gives_a_withheld_hour_away() -> None:
    exposed = _exposed(with_hours=False)
    hour = _period(HOURS[2])[SHOPS_HOUR].total
    assert exposed[SHOPS_HOUR].lo == pytest.approx(hour)
    assert exposed[SHOPS_HOUR].hi == pytest.approx(hour)


def test_a_day_decided_with_its_hours_gives_nothing_away() -> None:
    assert _exposed(with_hours=True) == {}
    _facts, versions = _hours()
    shown, why = decide(_period(DAY, day=True), ENERGY_RULES, hours=versions)
    shops_day = ("electricity", DAY, SHOPS_HOUR[2])
    assert why[shops_day] is Reason.PROTECTS  # five shops over the day: withheld for the hour
    # The apartments' district, whose hours were all published, stays published.
    assert ("electricity", DAY, Group("29140", "all", "all")) in shown


def test_hours_that_do_not_add_up_to_the_day_are_not_used() -> None:
    """An hour decided under other figures (before versions were kept): the day's sums
    would be false, so the day is decided on its own rather than on a wrong system."""
    _facts, versions = _hours()
    day = _period(DAY, day=True)
    alone = decide(day, ENERGY_RULES)
    partial = {h: v for h, v in versions.items() if h != HOURS[1]}
    assert decide(day, ENERGY_RULES, hours=partial) == alone


def test_a_need_pinned_by_figures_already_known_is_left_out(caplog) -> None:  # type: ignore[no-untyped-def]
    """The version before published every day group but the shops' (a day decided before
    its third hour came in): now the shops' day is held for its hour and every complement
    is pinned (published before, unchanged). No pattern protects it; the figures known
    already (the other groups: published and unchanged) stay published, the need is left
    out and said in the log, and the shops' day is marked as withheld for others, not as
    below k (it has k)."""
    _facts, versions = _hours()
    day = _period(DAY, day=True)
    shops_day = ("electricity", DAY, SHOPS_HOUR[2])
    before = Version(day, frozenset(set(day) - {shops_day}), 0)
    with caplog.at_level("INFO", logger="collector.rollup"):
        shown, why = decide(day, ENERGY_RULES, before=before, hours=versions)
    assert "1 need pinned" in caplog.text
    assert shown == set(before.published)
    assert why == {shops_day: Reason.PROTECTS}
