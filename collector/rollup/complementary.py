"""Complementary (secondary) suppression: no withheld group can be derived by subtraction.

A published parent minus its published children is the sum of its withheld
children. Where those withheld children together stand for fewer than k
holders, that difference would reveal them; so the smallest published
sibling is withheld as well, until every such difference covers at least k
holders (households plus sites without households) or nothing is withheld.
Partitions checked (each level's children add up to their parent):
city or city×type → districts; city → building types; district (×type) →
dongs; district → building types; dong → building types. A group with
the same sites as a withheld one is the same figure and is withheld with it;
a group withheld for a neighbour must not be the sum of published parts
either (one part more is withheld). Rounds repeat until nothing changes,
since withholding a group can open another difference. This closes the
direct differences (one parent, one partition), not every combination of
published figures a determined analyst could solve for.
"""

from __future__ import annotations

from collections import defaultdict

from collector.rollup.groups import Group, Holders, is_public
from telemetry.influx_schema import GROUP_ALL

ALL = GROUP_ALL
PartitionKey = tuple[str, ...]


def _child_of(g: Group) -> list[PartitionKey]:
    """The partitions in which g is one of the parts."""
    d, n, b = g.district, g.dong, g.building_type
    keys: list[PartitionKey] = []
    if d != ALL and n == ALL:
        keys.append(("districts", b))
        if b != ALL:
            keys.append(("types-of-district", d))
    if d == ALL and b != ALL:
        keys.append(("types-of-city",))
    if n != ALL:
        keys.append(("dongs", d, b))
        if b != ALL:
            keys.append(("types-of-dong", d, n))
    return keys


def _parts_of(g: Group) -> list[PartitionKey]:
    """The partitions of parent g."""
    d, n, b = g.district, g.dong, g.building_type
    if d == ALL:
        return [("districts", b)] + ([("types-of-city",)] if b == ALL else [])
    if n == ALL:
        return [("dongs", d, b)] + ([("types-of-district", d)] if b == ALL else [])
    return [("types-of-dong", d, n)] if b == ALL else []


def residual_holders(parts: list[Holders]) -> int:
    """Holders behind a sum of disjoint groups: households plus sites without any."""
    return sum(h.households + h.plain_sites for h in parts)


def publishable(cells: dict[Group, Holders], k: int) -> tuple[set[Group], set[Group]]:
    """(groups to publish, groups withheld only to protect a neighbour) for one period."""
    index: dict[PartitionKey, list[Group]] = defaultdict(list)
    same: dict[tuple[int, int], list[Group]] = defaultdict(list)
    for g, h in cells.items():
        for key in _child_of(g):
            index[key].append(g)
        same[h.same_sites()].append(g)
    public = {g for g, h in cells.items() if is_public(h, k)}
    # A group holding the same sites as a withheld one is the same figure.
    for g in cells:
        if g not in public:
            public -= set(same[cells[g].same_sites()])
    extra: set[Group] = set()

    def withhold(victim: Group) -> None:
        for g in same[cells[victim].same_sites()]:
            if g in public:
                public.discard(g)
                extra.add(g)

    changed = True
    while changed:
        changed = False
        for group in sorted(cells):
            for key in _parts_of(group):
                children = index.get(key, [])
                visible = [c for c in children if c in public]
                if not visible:
                    continue
                if group in public:
                    # parent - published parts = the withheld parts: enough holders?
                    hidden = [cells[c] for c in children if c not in public]
                    if not hidden or residual_holders(hidden) >= k:
                        continue
                elif group in extra and len(visible) < len(children):
                    continue  # a withheld parent with a withheld part: not a sum of published ones
                elif group not in extra:
                    continue  # below k itself: its parts are below k too
                withhold(min(visible, key=lambda c: (cells[c].count, c)))
                changed = True
    return public, extra
