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
import logging
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from collector.rollup.groups import Group
from telemetry.disclosure import (
    AuditFailed,
    Constraint,
    DisclosureRules,
    Kind,
    Reason,
    System,
    Unit,
    hierarchy,
    primary_needs,
    protect,
    sensitivity,
)
from telemetry.influx_schema import CONSUMPTION_1D, GROUP_ALL

log = logging.getLogger("collector.rollup")

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
    shares = ((v / h if h > 0 else v, min(max(h, 1), n)) for v, h in per_site)
    # n sites hold at least n contributions: the n largest shares are enough.
    out = [s for s, copies in heapq.nlargest(n, shares) for _ in range(copies)]
    return tuple(out[:n])


def energy_system(
    cells: Mapping[UnitKey, Facts],
    days: Mapping[tuple[str, int], Iterable[int]] | None = None,
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
    before: Version | None = None,
    hours: Mapping[int, Version] | None = None,
) -> tuple[set[UnitKey], dict[UnitKey, Reason]]:
    """(cells to publish, why each other is withheld) for cells protected together;
    start: the cells withheld to protect others last time (secondary.protect);
    before: the version of these periods published before (a revision: `revised`);
    hours: a day's hours, or a month's days, as decided (`with_hours`: the period
    protected with them)."""
    if not cells:
        return set(), {}
    context = with_hours(cells, hours, rules) if hours else None
    if context is None:
        system, fixed, moot = energy_system(cells, days), set(), set()
    else:
        system, fixed, moot = context
    if before is not None:
        fixed |= revised(system, before, cells)
    try:
        # A need that only figures already published surround (fixed: an hour's
        # complement known from its own hour, a cell of the version before) cannot be
        # protected by any pattern of these cells: it is left out, not the whole period.
        result = protect(system, rules, start=start, fixed=fixed, moot=moot, pinned="skip")
    except AuditFailed as failed:
        # Unknown exposure is treated as exposure: these figures wait, the rest
        # of the pass goes on (one unsolvable table must not stop the city's).
        return _withhold_all(system, cells, rules, fixed, f"{failed}")
    except RuntimeError as exc:
        # No pattern settled: these figures wait, the rest of the pass goes on (a pass
        # that raised here failed again every pass after, and the city's rollups stopped).
        return _withhold_all(system, cells, rules, fixed, f"disclosure: {exc}")
    if result.pinned:
        log.info("disclosure: %d need pinned by figures already published, left out: %s",
                 len(result.pinned), ", ".join(repr(n.unit) for n in result.pinned[:3]))  # fmt: skip
    mine = {k: _said(r, cells[k], rules) for k, r in result.reasons.items() if k in cells}
    return result.published & set(cells), mine


def _said(reason: Reason, facts: Facts, rules: DisclosureRules) -> Reason:
    """The reason a withheld cell is published with: a day group held for its hours is
    below k only in the day's system (`with_hours`), so one with k holders or more is
    said to protect others (the pages mark it withheld, not too few)."""
    if reason is Reason.TOO_FEW and facts.holders >= rules.k:
        return Reason.PROTECTS
    return reason


def _withhold_all(
    system: System,
    cells: Mapping[UnitKey, Facts],
    rules: DisclosureRules,
    known: set[UnitKey],
    why: str = "disclosure: no pattern around the published figures",
) -> tuple[set[UnitKey], dict[UnitKey, Reason]]:
    """No pattern protects every cell while what is already published stays (a need
    the published figures pin), or the audit could not tell: the new figures are
    withheld, which exposes nothing new, but for those the published ones give exactly
    already (`known`: a day group whose hours are all published, a cell published before
    and unchanged): publishing those tells nobody anything. Rare; said in the log.
    A cell withheld here with k or more holders is marked as protecting others (the map
    and pages say it is withheld), whatever its protection in the system needed."""
    shown = {k for k in cells if k in known}
    log.warning("%s; %d withheld, %d known already published", why, len(cells) - len(shown),
                len(shown))  # fmt: skip
    primary, _needs = primary_needs(system, rules)
    return shown, {
        k: _said(primary.get(k, Reason.PROTECTS), cells[k], rules) for k in cells.keys() - shown
    }


# In a system of a day with its hours (the operator's audit), the hours' keys start 1 ms
# late: the day's first hour starts with it.
HOUR_SHIFT = 1


def with_hours(
    cells: Mapping[UnitKey, Facts],
    hours: Mapping[int, Version],
    rules: DisclosureRules,
) -> tuple[System, set[UnitKey], set[UnitKey]] | None:
    """A day's groups with its hours as they were decided: the modular method of τ-ARGUS
    and sdcTable (sub-tables protected one by one). Each hour's hierarchy was protected
    when the hour was decided; the hours are fixed now. Each group's time table (the day
    = the sum of its hours) is protected in closed form: with its published hours known,
    the day gives the sum S of its withheld hours; each of them then lies in [0, S] (the
    figures are non-negative), which leaves its protection from below and fails it from
    above when S minus its value is less than its upper margin (one withheld hour: S is
    its value). Such a day group must be withheld, and is protected in the day's
    hierarchy as a group below k would be (secondary suppressions of one sub-table are
    primary in the next, as HiTaS does; so is an hour withheld only to protect another in
    its hour — where such an hour is known from its own hour's other sums, no day pattern
    can protect it, and `decide` leaves that need out, `protect(pinned="skip")`).
    A day group whose hours are all published is known (their sum): fixed
    as published, never a complement; if its own rules withhold it (one site dominates
    the day, not any hour), it is withheld to no avail: the hours give it (`moot`).

    Returns the day's system (a group withheld for its hours is below k in it), the
    groups fixed as published and the moot ones; None when the hours do not add up to
    the day for every group (an hour decided before versions were kept, or under other
    rules)."""
    sums: dict[Group, float] = defaultdict(float)
    hidden: dict[Group, list[tuple[float, float]]] = defaultdict(list)  # (value, upper)
    for version in hours.values():
        for key, f in version.facts.items():
            sums[key[2]] += f.total
            if key not in version.published:
                below_k = key in version.pattern
                facts = Facts(f.total, min(f.holders, 1), f.top) if below_k else f
                hidden[key[2]].append((f.total, _upper(key, facts, rules)))
    for (_u, _t, g), f in cells.items():
        if not math.isclose(sums.get(g, 0.0), f.total, rel_tol=1e-9, abs_tol=1e-6):
            return None
    system = energy_system(cells)
    fixed: set[UnitKey] = set()
    moot: set[UnitKey] = set()
    for key in cells:
        withheld = hidden.get(key[2], [])
        rest = sum(v for v, _u in withheld)
        if any(rest - v < upper - 1e-9 for v, upper in withheld):
            unit = system.units[key]
            unit.holders = (
                min(unit.holders, 1) if sensitivity(key, unit, rules)[0] is None else unit.holders
            )
        elif not withheld:
            # Known from its hours: published, or withheld by its own rules to no avail.
            known = moot if sensitivity(key, system.units[key], rules)[0] else fixed
            known.add(key)
    return system, fixed, moot


def _upper(key: UnitKey, facts: Facts, rules: DisclosureRules) -> float:
    """How far above its value a withheld hour must be left open (0: no need)."""
    unit = Unit(Kind.MAGNITUDE, facts.holders, {key: facts.total}, main=key, top=facts.top)
    _reason, needs = sensitivity(key, unit, rules)
    return max((n.upper for n in needs), default=0.0)


@dataclass(frozen=True, slots=True)
class Version:
    """What a decision published: every cell's facts, and which cells were shown."""

    facts: Mapping[UnitKey, Facts]
    published: frozenset[UnitKey]
    decided_ms: int = 0  # when (the pass's time)
    pattern: frozenset[UnitKey] = frozenset()  # withheld to protect others


def prior(key: UnitKey) -> tuple[str, UnitKey]:
    """The unit key of a cell's previously published version in a revision system."""
    return ("before", key)


def revised(system: System, before: Version, cells: Mapping[UnitKey, Facts]) -> set[UnitKey]:
    """Add the version published before to `system` (a revision's new version), as the
    reader has it: its published cells known, its withheld cells unknown but sensitive
    as they were; a cell whose facts did not change is the same figure in both (the
    reader may know which sites a revision touched). Returns the cells fixed as
    published: shown before and unchanged (the reader has them already)."""
    old = energy_system(before.facts)
    for key, unit in old.units.items():
        unit.figures = {prior(key): unit.figures[key]}
        unit.main = prior(key)
        unit.offered = key in before.published
        system.add(prior(key), unit)
    for c in old.constraints:
        system.constraints.append(
            Constraint(tuple((prior(f), a) for f, a in c.coefs), c.rhs, c.equality)
        )
    fixed = {prior(k) for k in before.published}
    for key, facts in cells.items():
        was = before.facts.get(key)
        if was is None or not unchanged(was, facts):
            continue
        system.constraints.append(Constraint.total(key, [prior(key)]))
        if key in before.published:
            fixed.add(key)
    return fixed


def unchanged(a: Facts, b: Facts) -> bool:
    """The same cell figure (sums of the same meter figures may differ in the last bits)."""
    return a.holders == b.holders and math.isclose(a.total, b.total, rel_tol=1e-9, abs_tol=1e-9)


# Versions kept (every group's facts of a period: ~650 cells a period at city scale):
# the hours, days and months a pass or an import may revise, not every live minute.
VERSIONS = 600
# Days are kept apart, for two months of five utilities: a month is protected with its
# days, and in the common count the hours (120 a day) pushed a day out in five days.
DAY_VERSIONS = 2 * 31 * 5


class Patterns:
    """Each period's decision of the pass before: its pattern of groups withheld for
    others, where the next decision of the same period starts (stable figures between
    versions, one audit in the usual case instead of a search), and the version it
    published, which the next decision of the period is protected with (`revised`).
    Bounded: the oldest periods are forgotten."""

    def __init__(
        self, limit: int = 5_000, versions: int = VERSIONS, day_versions: int = DAY_VERSIONS
    ) -> None:
        self.limit = limit
        self.versions_limit = versions
        self.kept: dict[tuple[str, str, int], set[UnitKey]] = {}
        self.versions: dict[tuple[str, str, int], Version] = {}
        self.day_versions: dict[tuple[str, str, int], Version] = {}  # kept apart (DAY_VERSIONS)
        self.day_versions_limit = day_versions

    def get(self, measurement: str, utility: str, ts: int) -> set[UnitKey] | None:
        """The period's own pattern (None: the period is new). Not an earlier period's:
        a pattern is withheld again whole while it protects and never given back, so a
        new minute or hour starting from the one before grew its pattern period after
        period (in the city demo, most districts' live figures withheld within minutes)."""
        return self.kept.get((measurement, utility, ts))

    def forget_versions(self) -> None:
        """Versions decided under other rules or another registry bind nothing."""
        self.versions.clear()
        self.day_versions.clear()

    def _versions_of(self, measurement: str) -> tuple[dict[tuple[str, str, int], Version], int]:
        """Where a period's versions are kept, and how many: days apart from the rest."""
        if measurement == CONSUMPTION_1D:
            return self.day_versions, self.day_versions_limit
        return self.versions, self.versions_limit

    def version(self, measurement: str, utility: str, ts: int) -> Version | None:
        return self._versions_of(measurement)[0].get((measurement, utility, ts))

    def recall(self, measurement: str, utility: str, ts: int, version: Version) -> None:
        """A version read back from the store: the period's pattern and version unless
        this process decided it since."""
        key = (measurement, utility, ts)
        if self.version(measurement, utility, ts) is None:
            self.put(measurement, utility, ts, set(self.kept.get(key, version.pattern)), version)

    def put(
        self,
        measurement: str,
        utility: str,
        ts: int,
        withheld: set[UnitKey],
        version: Version | None = None,
    ) -> None:
        key = (measurement, utility, ts)
        self.kept.pop(key, None)
        self.kept[key] = withheld
        if version is not None:
            kept, limit = self._versions_of(measurement)
            kept.pop(key, None)
            kept[key] = version
            while len(kept) > limit:
                del kept[next(iter(kept))]
        while len(self.kept) > self.limit:
            del self.kept[next(iter(self.kept))]
