"""Secondary suppression for a linked system: withhold further units until the audit
finds no withheld unit's protected quantity narrowed below its protection interval.

Greedy, as τ-ARGUS's and sdcTable's heuristics are at heart: while the audit exposes a
need, withhold the cheapest published unit (smallest figure, then key) that shares a
constraint with the need's figures, or failing that with any withheld figure of its
component, and audit again. Every round withholds at least one more unit, so it ends;
at worst with everything withheld.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from telemetry.disclosure.audit import Exposure, Memo, audit, hidden_figures
from telemetry.disclosure.primary import Need, sensitivity
from telemetry.disclosure.rules import DisclosureRules, Reason
from telemetry.disclosure.system import FigureKey, System, UnitKey


@dataclass
class Protection:
    """The decision for a system: what is published, and why each other unit is not
    (units never offered have no reason)."""

    published: set[UnitKey]
    reasons: dict[UnitKey, Reason]
    needs: list[Need]
    rounds: int = 0
    exposures_seen: int = 0
    primary: dict[UnitKey, Reason] = field(default_factory=dict)
    pinned: list[Need] = field(default_factory=list)  # `pinned="skip"`: left unprotected


def primary_needs(
    system: System, rules: DisclosureRules
) -> tuple[dict[UnitKey, Reason], list[Need]]:
    reasons: dict[UnitKey, Reason] = {}
    needs: list[Need] = []
    for key, unit in system.units.items():
        reason, unit_needs = sensitivity(key, unit, rules)
        if reason is not None:
            reasons[key] = reason
            needs.extend(unit_needs)
    return reasons, needs


def protect(
    system: System,
    rules: DisclosureRules,
    max_rounds: int = 10_000,
    prune: bool = True,
    start: set[UnitKey] | None = None,
    fixed: set[UnitKey] | None = None,
    moot: set[UnitKey] | None = None,
    pinned: str = "raise",
) -> Protection:
    """start: units withheld to protect others in an earlier decision of the same tables
    (a rollup pass before this one): withheld again from the outset, so a pattern stays
    as it was while it still protects (fewer rounds, and figures do not flicker in and
    out between versions); not pruned then, since it was when first decided.
    fixed: units the reader has already (published in an earlier version of the tables,
    and unchanged): published whatever their rules say, never withheld as complements
    (withholding what is known protects nothing).
    moot: units withheld by their own rules whose figures the reader has from other
    tables already (a day whose hours are all published): no pattern here can protect
    them, so their needs are not checked; never complements either.
    pinned: what to do with a need exposed with no published unit left around it that
    could be withheld (only fixed ones: the figures already published pin it). "raise"
    (RuntimeError), or "skip": no pattern of these units can protect it, so it is left
    out and the search goes on for the others (`Protection.pinned` lists it)."""
    fixed = fixed or set()
    moot = moot or set()
    reasons, needs = primary_needs(system, rules)
    for key in fixed:
        reasons.pop(key, None)
    needs = [n for n in needs if n.unit not in fixed and n.unit not in moot]
    primary = dict(reasons)
    published = {k for k, u in system.units.items() if u.offered and k not in reasons} | fixed
    for key in start or ():
        if key in published and key not in fixed:
            published.discard(key)
            reasons[key] = Reason.PROTECTS
    if start is not None:
        prune = False
    # Replacing a withheld unit by cheaper complements costs audits per unit; kept for
    # systems of survey size, where it finds markedly better patterns.
    replace = len(system.units) <= REPLACE_MAX_UNITS
    by_figure: dict[FigureKey, list[int]] = defaultdict(list)
    for i, c in enumerate(system.constraints):
        for f, _ in c.coefs:
            by_figure[f].append(i)
    same = _same_figures(system)
    checked = _distinct(system, needs, same)
    memo: Memo = {}
    left_out: list[Need] = []

    def settle(
        shown: set[UnitKey], keep: frozenset[UnitKey], budget: float, skip: bool = False
    ) -> tuple[set[UnitKey], int, int] | None:
        """Withhold complements until the audit passes; never a unit of `keep`, nor
        more than `budget` of cost in all (None then). skip: a need with no complement
        left is left out (`pinned`) instead of ending the search."""
        nonlocal checked
        shown = set(shown)
        spent = 0.0
        rounds = seen = 0
        while rounds < max_rounds:
            exposed = audit(system, shown, checked, memo, exact=False)
            if not exposed:
                return shown, rounds, seen
            rounds += 1
            seen += len(exposed)
            chosen = {_complement(system, shown - keep, by_figure, same, e) for e in exposed}
            chosen.discard(None)
            if not chosen:
                if not skip:
                    return None
                # Every need still exposed has no unit left around its withheld figures
                # that could be withheld (none appears later: it would have been one).
                stuck = {e.need for e in exposed}
                left_out.extend(stuck)
                checked = [n for n in checked if n not in stuck]
            for group in chosen:
                spent += _cost(system, group)[0]
                shown -= group - keep
            if spent > budget:
                return None
        raise RuntimeError(
            f"disclosure: secondary suppression did not settle in {max_rounds} rounds"
        )

    settled = settle(published, frozenset(fixed), math.inf, skip=pinned == "skip")
    if settled is None:
        raise RuntimeError("disclosure: no published unit left to protect")
    after, rounds, seen = settled
    for key in published - after:
        reasons[key] = Reason.PROTECTS
    published = after
    if prune:
        # A round withholds one unit per exposure at once, and a later one may have
        # made an earlier one unneeded, or a cheaper one would do: give back each (dearest
        # first, with the units that are the same figure) when the audit spares it, or
        # when cheaper complements can take its place.
        secondary = {same[k] for k, r in reasons.items() if r is Reason.PROTECTS}
        for group in sorted(
            secondary, key=lambda g: (_cost(system, g), repr(sorted(map(repr, g)))), reverse=True
        ):
            back = {k for k in group if reasons.get(k) is Reason.PROTECTS}
            if not back:
                continue
            budget = _cost(system, group)[0] - 1e-9 if replace else 0.0
            trial = settle(published | back, frozenset(back | fixed), budget)
            if trial is None:
                continue
            shown, _r, _s = trial
            for k in back:
                del reasons[k]
            for k in (published | back) - shown:
                reasons[k] = Reason.PROTECTS
            published = shown
    return Protection(published, reasons, needs, rounds, seen, primary, left_out)


REPLACE_MAX_UNITS = 2_000


def _distinct(
    system: System, needs: list[Need], same: Mapping[UnitKey, frozenset[UnitKey]]
) -> list[Need]:
    """One need per set of one-figure units that are the same figure: equal in every
    solution, so one interval answers for all (the audit of the result checks them all)."""
    out: list[Need] = []
    seen: set[tuple[frozenset[UnitKey], Reason, float, float]] = set()
    for n in needs:
        group = same[n.unit]
        if len(group) > 1 and all(len(system.units[k].figures) == 1 for k in group):
            key = (group, n.reason, n.lower, n.upper)
            if key in seen:
                continue
            seen.add(key)
        out.append(n)
    return out


def _same_figures(system: System) -> dict[UnitKey, frozenset[UnitKey]]:
    """Units that are the same figure (a total with one part, and so on up): tied by
    two-term equalities on their main figures. Withholding one alone would not hide it."""
    parent = {k: k for k in system.units}

    def find(k: UnitKey) -> UnitKey:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for c in system.constraints:
        if not c.equality or c.rhs != 0 or len(c.coefs) != 2:
            continue
        (f, a), (g, b) = c.coefs
        if a != -b:
            continue
        u, v = system.owner(f), system.owner(g)
        if u != v and _is_main(system, u, f) and _is_main(system, v, g):
            parent[find(u)] = find(v)
    groups: dict[UnitKey, set[UnitKey]] = defaultdict(set)
    for k in system.units:
        groups[find(k)].add(k)
    return {k: frozenset(groups[find(k)]) for k in system.units}


def _is_main(system: System, unit: UnitKey, figure: FigureKey) -> bool:
    u = system.units[unit]
    return figure == u.main or len(u.figures) == 1


def _cost(system: System, group: frozenset[UnitKey]) -> tuple[float, float]:
    costs = [system.units[k].cost for k in group]
    return (sum(c[0] for c in costs), sum(c[1] for c in costs))


def _complement(
    system: System,
    published: set[UnitKey],
    by_figure: Mapping[FigureKey, list[int]],
    same: Mapping[UnitKey, frozenset[UnitKey]],
    exposure: Exposure,
) -> frozenset[UnitKey] | None:
    """The cheapest published unit next to the exposed need (same constraint), else next
    to any withheld figure linked to it; with the units that are the same figure."""
    start = [f for f, _ in exposure.need.coefs]
    candidates = _neighbours(system, published, by_figure, start)
    if not candidates:
        hidden = hidden_figures(system, published)
        seen: set[FigureKey] = set(start)
        frontier = list(start)
        while frontier and not candidates:  # widen through withheld figures, ring by ring
            ring: list[FigureKey] = []
            for f in frontier:
                for i in by_figure.get(f, ()):
                    for g, _ in system.constraints[i].coefs:
                        if g in hidden and g not in seen:
                            seen.add(g)
                            ring.append(g)
            candidates = _neighbours(system, published, by_figure, ring)
            frontier = ring
    if not candidates:
        return None
    # A complement must be able to move the need by what it lacks: a sibling of 5 cannot
    # open 8 kWh of room above a dominated cell. The cheapest that can, else the largest.
    n = exposure.need
    short = max(n.value + n.upper - exposure.hi, exposure.lo - (n.value - n.lower), 0.0)
    groups = {same[k] for k in candidates}
    able = [g for g in groups if _room(system, g) >= short]
    if able:
        return min(able, key=lambda g: (_cost(system, g), repr(sorted(map(repr, g)))))
    return max(groups, key=lambda g: (_room(system, g), repr(sorted(map(repr, g)))))


def _room(system: System, group: frozenset[UnitKey]) -> float:
    """How far withholding a group can move a figure tied to it: its largest figure."""
    return max((abs(v) for k in group for v in system.units[k].figures.values()), default=0.0)


def _neighbours(
    system: System,
    published: set[UnitKey],
    by_figure: Mapping[FigureKey, list[int]],
    figures: list[FigureKey],
) -> set[UnitKey]:
    out: set[UnitKey] = set()
    for f in figures:
        for i in by_figure.get(f, ()):
            for g, _ in system.constraints[i].coefs:
                owner = system.owner(g)
                if owner in published:
                    out.add(owner)
    return out
