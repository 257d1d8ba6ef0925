"""Primary sensitivity: which units are sensitive by themselves, and the protection each
needs (the interval around its true figures the published tables must leave open)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from telemetry.disclosure.rules import DisclosureRules, Reason
from telemetry.disclosure.system import FigureKey, Kind, Unit, UnitKey


@dataclass(frozen=True, slots=True)
class Need:
    """A protected quantity Σ coef·figure of one unit: nobody may narrow it to less than
    [value − lower, value + upper] from the published tables."""

    unit: UnitKey
    reason: Reason
    coefs: tuple[tuple[FigureKey, float], ...]
    value: float
    lower: float
    upper: float
    integer: bool = False


def dominance_excess(top: tuple[float, ...], total: float, rules: DisclosureRules) -> float:
    """How much the dominance rule is exceeded (> 0: dominated); 0 when it holds."""
    d = rules.dominance
    if d.rule == "off" or total <= 0 or not top:
        return 0.0
    if d.rule == "p_percent":
        x1 = top[0]
        x2 = top[1] if len(top) > 1 else 0.0
        return max(0.0, d.p / 100 * x1 - (total - x1 - x2))
    return max(0.0, 100 / d.nk_k * sum(top[: d.n]) - total)


def sensitivity(unit: UnitKey, u: Unit, rules: DisclosureRules) -> tuple[Reason | None, list[Need]]:
    """The first rule a unit fails (too few, one dominates, all alike) and its needs.
    An empty cell (no holders) is sensitive to none (sdcTable's and τ-ARGUS's default)."""
    if u.kind is Kind.MAGNITUDE:
        main = u.main if u.main is not None else next(iter(u.figures))
        value = u.figures[main]
        if 0 < u.holders < rules.k:
            margin = max(rules.protection_pct / 100 * abs(value), rules.protection_floor)
            return Reason.TOO_FEW, [
                Need(unit, Reason.TOO_FEW, ((main, 1.0),), value, min(margin, value), margin)
            ]
        excess = dominance_excess(u.top, value, rules)
        if excess > 0:
            margin = max(excess, rules.protection_floor)
            return Reason.DOMINATED, [
                Need(unit, Reason.DOMINATED, ((main, 1.0),), value, min(margin, value), margin)
            ]
        return None, []
    alike = [
        # Nobody may rule out that someone in the cell answered otherwise.
        Need(unit, Reason.ALL_ALIKE, ((respondents, 1.0), (answer, -1.0)), 0.0, 0.0, 1.0, True)
        for answer, respondents in (u.alike if rules.group_disclosure else ())
    ]
    if 0 < u.holders < rules.k:
        # The cell's size stays uncertain both ways; an answer's count from below (nobody
        # may prove that so many of the cell gave it). An empty count is not sensitive in
        # itself (sdcTable's and τ-ARGUS's default), but a cell whose respondents all
        # gave one answer must not be shown to be so (the `alike` needs).
        needs = []
        for f, count in u.figures.items():
            if count <= 0:
                continue
            margin = max(1.0, math.ceil(rules.protection_pct / 100 * count))
            upper = margin if f == u.main else 0.0
            needs.append(
                Need(unit, Reason.TOO_FEW, ((f, 1.0),), count, min(margin, count), upper, True)
            )
        return Reason.TOO_FEW, needs + alike
    if alike:
        return Reason.ALL_ALIKE, alike
    return None, []
