"""Secondary suppression for a linked system: withhold further units until the audit
finds no withheld unit's protected quantity narrowed below its protection interval.

Greedy, as τ-ARGUS's and sdcTable's heuristics are at heart: while the audit exposes a
need, withhold the cheapest published unit (smallest figure, then key) that shares a
constraint with the need's figures, or failing that with any withheld figure of its
component, and audit again. Every round withholds at least one more unit, so it ends;
at worst with everything withheld.
"""

from __future__ import annotations

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
) -> Protection:
    reasons, needs = primary_needs(system, rules)
    primary = dict(reasons)
    published = {k for k, u in system.units.items() if u.offered and k not in reasons}
    by_figure: dict[FigureKey, list[int]] = defaultdict(list)
    for i, c in enumerate(system.constraints):
        for f, _ in c.coefs:
            by_figure[f].append(i)
    rounds = seen = 0
    memo: Memo = {}
    while rounds < max_rounds:
        exposed = audit(system, published, needs, memo)
        if not exposed:
            break
        rounds += 1
        seen += len(exposed)
        chosen = {_complement(system, published, by_figure, e) for e in exposed}
        chosen.discard(None)
        if not chosen:
            raise RuntimeError(
                "disclosure: no published unit left to protect " + "; ".join(map(str, exposed))
            )
        for key in chosen:
            published.discard(key)
            reasons[key] = Reason.PROTECTS
    else:
        raise RuntimeError(
            f"disclosure: secondary suppression did not settle in {max_rounds} rounds"
        )
    if prune:
        # A round withholds one unit per exposure at once, and a later one may have
        # made an earlier one unneeded: give back each (dearest first) the audit spares.
        secondary = [k for k, r in reasons.items() if r is Reason.PROTECTS]
        for key in sorted(secondary, key=lambda k: (-system.units[k].cost, repr(k))):
            published.add(key)
            if audit(system, published, needs, memo, first_exposed=True):
                published.discard(key)
            else:
                del reasons[key]
    return Protection(published, reasons, needs, rounds, seen, primary)


def _complement(
    system: System,
    published: set[UnitKey],
    by_figure: Mapping[FigureKey, list[int]],
    exposure: Exposure,
) -> UnitKey | None:
    """The cheapest published unit next to the exposed need (same constraint), else next
    to any withheld figure linked to it."""
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
    return min(candidates, key=lambda k: (system.units[k].cost, repr(k)))


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
