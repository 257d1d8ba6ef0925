"""The rollups' published groups as one linked system (telemetry.disclosure).

Units: a group's use in a period (utility × period × district/dong/building type), with
its holders (households, or sites where there are none) and its largest contributions
per holder — a site with households counts as that many holders sharing its use evenly
(the finest the rollup knows; a complex's bulk meter reveals no one household). Constraints:
within a period, each level adds up to its parent (dongs to their district, districts
to the city, building types to their area); across periods, a KST day is the sum of its
hours for every group (the day's figures are summed from the same hourly meter figures).
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from collector.rollup.groups import Group
from telemetry.disclosure import (
    Constraint,
    DisclosureRules,
    Kind,
    Reason,
    System,
    Unit,
    hierarchy,
    protect,
)
from telemetry.influx_schema import GROUP_ALL

UnitKey = tuple[str, int, Group]  # (utility, period start ms, group)
TOP = 3  # contributions kept per cell: enough for the p% rule and (n, k) with n ≤ 3


@dataclass(frozen=True, slots=True)
class Facts:
    """What the disclosure rules need of one cell."""

    total: float
    holders: int
    top: tuple[float, ...]  # largest contributions per holder, descending


def contributions(per_site: Iterable[tuple[float, int]], n: int = TOP) -> tuple[float, ...]:
    """The n largest contributions per holder from (site's value, its households):
    a site without households is one holder; one with h households, h holders of v/h."""
    out: list[float] = []
    for value, households in per_site:
        share = value / households if households > 0 else value
        out.extend([share] * min(max(households, 1), n))
    return tuple(heapq.nlargest(n, out))


def energy_system(
    cells: Mapping[UnitKey, Facts], days: Mapping[tuple[str, int], Iterable[int]] | None = None
) -> System:
    """cells: every group cell of the periods protected together; days: (utility, day
    start) → the hour starts within that day whose cells are in `cells` (the day equals
    their sum, group by group)."""
    system = System(nonnegative=all(f.total >= 0 for f in cells.values()))
    slices: dict[tuple[str, int], dict[tuple[str, str, str], UnitKey]] = defaultdict(dict)
    for key, facts in cells.items():
        utility, ts, g = key
        level = sum(c == GROUP_ALL for c in (g.district, g.dong, g.building_type))
        unit = Unit(Kind.MAGNITUDE, facts.holders, {key: facts.total}, main=key, top=facts.top)
        unit.weight = 10.0**level  # keep totals: withhold parts before their wholes
        system.add(key, unit)
        slices[(utility, ts)][(g.district, g.dong, g.building_type)] = key
    for coords in slices.values():
        system.constraints.extend(hierarchy(coords, GROUP_ALL))
    for (utility, day), hours in (days or {}).items():
        hours = list(hours)
        for coords, key in slices.get((utility, day), {}).items():
            parts = [slices[(utility, h)][coords] for h in hours if coords in slices[(utility, h)]]
            system.constraints.append(Constraint.total(key, parts))
    return system


def decide(
    cells: Mapping[UnitKey, Facts],
    rules: DisclosureRules,
    days: Mapping[tuple[str, int], Iterable[int]] | None = None,
    start: set[UnitKey] | None = None,
) -> tuple[set[UnitKey], dict[UnitKey, Reason]]:
    """(cells to publish, why each other is withheld) for cells protected together;
    start: the cells withheld to protect others last time (secondary.protect)."""
    if not cells:
        return set(), {}
    result = protect(energy_system(cells, days), rules, start=start)
    return result.published, result.reasons


class Patterns:
    """The secondary-suppression pattern of each period's groups, from the pass before:
    the next decision starts from it (stable figures between versions, one audit in the
    usual case instead of a search). Bounded: the oldest periods are forgotten."""

    def __init__(self, limit: int = 5_000) -> None:
        self.limit = limit
        self.kept: dict[tuple[str, str, int], set[UnitKey]] = {}

    def get(self, measurement: str, utility: str, ts: int) -> set[UnitKey] | None:
        """The period's own pattern; else the latest earlier period's of the same
        measurement and utility, moved to this period (a new live minute or hour
        starts from the one before: the same groups are usually thin)."""
        own = self.kept.get((measurement, utility, ts))
        if own is not None:
            return own
        earlier = [t for m, u, t in self.kept if m == measurement and u == utility and t < ts]
        if not earlier:
            return None
        return {(u, ts, g) for u, _t, g in self.kept[(measurement, utility, max(earlier))]}

    def put(self, measurement: str, utility: str, ts: int, withheld: set[UnitKey]) -> None:
        self.kept.pop((measurement, utility, ts), None)
        self.kept[(measurement, utility, ts)] = withheld
        while len(self.kept) > self.limit:
            del self.kept[next(iter(self.kept))]
