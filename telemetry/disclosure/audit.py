"""The linear-programming audit: for each protected quantity of a withheld unit, the
interval an attacker can derive from every published figure and every constraint of
the system, checked against its protection interval.

The attacker knows the published units' figures exactly, the constraints (totals are
sums of their parts) and that every figure is non-negative (where the system says so); counts are integers, so an
integer quantity's LP bounds are rounded inwards (floor of the max, ceil of the min).
The LP (HiGHS, through highspy) runs per connected component of withheld figures: figures tied
by no constraint to each other cannot inform each other.
"""

from __future__ import annotations

import math
import os
import sys
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import highspy
import numpy as np

from telemetry.disclosure.primary import Need
from telemetry.disclosure.system import Constraint, FigureKey, System, UnitKey


class AuditFailed(Exception):
    """HiGHS gave no answer for a bound even from a fresh start: nothing is known about
    what the published figures reveal, so a caller withholds rather than publishes."""


@dataclass(frozen=True, slots=True)
class Exposure:
    """A need the published tables break: the attacker can tell [lo, hi]."""

    need: Need
    lo: float
    hi: float

    def __str__(self) -> str:
        n = self.need
        return (
            f"{n.unit!r} ({n.reason.value}): value {n.value:g} narrowed to "
            f"[{self.lo:g}, {self.hi:g}], protection [{n.value - n.lower:g}, {n.value + n.upper:g}]"
        )


@dataclass(frozen=True, slots=True)
class Interval:
    need: Need
    lo: float
    hi: float

    @property
    def exposed(self) -> bool:
        n = self.need
        tol = 1e-7 * max(1.0, abs(n.value), abs(n.lower), abs(n.upper))
        return self.hi < n.value + n.upper - tol or self.lo > n.value - n.lower + tol


class _Components:
    """Connected components of hidden figures through the constraints."""

    def __init__(self, system: System, hidden: set[FigureKey]) -> None:
        parent: dict[FigureKey, FigureKey] = {f: f for f in hidden}

        def find(f: FigureKey) -> FigureKey:
            while parent[f] != f:
                parent[f] = parent[parent[f]]
                f = parent[f]
            return f

        touching: list[tuple[Constraint, list[FigureKey]]] = []
        for c in system.constraints:
            mine = [f for f, _ in c.coefs if f in hidden]
            if not mine:
                continue
            touching.append((c, mine))
            root = find(mine[0])
            for f in mine[1:]:
                other = find(f)
                if other != root:
                    parent[other] = root
        self.root = {f: find(f) for f in hidden}
        self.constraints: dict[FigureKey, list[Constraint]] = defaultdict(list)
        for c, mine in touching:
            self.constraints[self.root[mine[0]]].append(c)
        self.members: dict[FigureKey, list[FigureKey]] = defaultdict(list)
        for f, r in self.root.items():
            self.members[r].append(f)


def hidden_figures(system: System, published: set[UnitKey]) -> set[FigureKey]:
    return {f for key, u in system.units.items() if key not in published for f in u.figures}


Memo = dict[tuple[frozenset, Need], Interval]


def intervals(
    system: System,
    published: set[UnitKey],
    needs: Iterable[Need],
    memo: Memo | None = None,
    first_exposed: bool = False,
    exact: bool = True,
) -> list[Interval]:
    """The attacker's interval of every need's quantity, given the published units.

    memo: intervals already solved, by (component's withheld figures, need): a
    component's LP depends on nothing else, so repeated audits (secondary suppression)
    solve only the components that changed. first_exposed: stop at the first need
    found exposed (is the system safe? rather than what is wrong with it). exact: False
    leaves a side without protection unsolved (±inf), enough to tell exposure."""
    hidden = hidden_figures(system, published)
    comps = _Components(system, hidden)
    by_root: dict[FigureKey, list[Need]] = defaultdict(list)
    out: list[Interval] = []
    for need in needs:
        shown = [f for f, _ in need.coefs if f not in hidden]
        if len(shown) == len(need.coefs):  # published: the reader has it exactly
            exact = sum(coef * system.value(f) for f, coef in need.coefs)
            out.append(Interval(need, exact, exact))
            if first_exposed and out[-1].exposed:
                return out
            continue
        if shown:
            raise ValueError(f"{need.unit!r}: a protected quantity across published figures")
        by_root[comps.root[need.coefs[0][0]]].append(need)
    for root, wanted in by_root.items():
        members = comps.members[root]
        ident = frozenset(members)
        known = [memo[(ident, n)] for n in wanted if (ident, n) in memo] if memo else []
        out.extend(known)
        if first_exposed and any(i.exposed for i in known):
            return out
        todo = [n for n in wanted if not memo or (ident, n) not in memo]
        if todo:
            solved = _solve(system, hidden, members, comps.constraints[root], todo, first_exposed)
            if memo is not None:
                memo.update(((ident, i.need), i) for i in solved)
            out.extend(solved)
            if first_exposed and solved and solved[-1].exposed:
                return out
    return out


def audit(
    system: System,
    published: set[UnitKey],
    needs: Iterable[Need],
    memo: Memo | None = None,
    first_exposed: bool = False,
    exact: bool = True,
) -> list[Exposure]:
    """Needs the published tables break (empty: every withheld cell is protected)."""
    found = intervals(system, published, needs, memo, first_exposed, exact)
    return [Exposure(i.need, i.lo, i.hi) for i in found if i.exposed]


def _solve(
    system: System,
    hidden: set[FigureKey],
    members: list[FigureKey],
    constraints: list[Constraint],
    needs: list[Need],
    first_exposed: bool = False,
    exact: bool = True,
) -> list[Interval]:
    """One model per component; each need minimised and maximised on it (HiGHS keeps its
    basis between objectives, so each further solve is a few simplex steps)."""
    index = {f: i for i, f in enumerate(members)}
    starts, cols, vals, lower, upper = [0], [], [], [], []
    for c in constraints:
        rhs = c.rhs
        for f, coef in c.coefs:
            if f in hidden:
                cols.append(index[f])
                vals.append(coef)
            else:
                rhs -= coef * system.value(f)
        starts.append(len(cols))
        lower.append(rhs if c.equality else -highspy.kHighsInf)
        upper.append(rhs)
    lp = highspy.HighsLp()
    lp.num_col_ = len(members)
    lp.num_row_ = len(constraints)
    lp.col_cost_ = np.zeros(len(members))
    floor = 0.0 if system.nonnegative else -highspy.kHighsInf
    lp.col_lower_ = np.full(len(members), floor)
    lp.col_upper_ = np.full(len(members), highspy.kHighsInf)
    lp.row_lower_ = np.array(lower, dtype=float)
    lp.row_upper_ = np.array(upper, dtype=float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.array(cols, dtype=np.int32)
    lp.a_matrix_.value_ = np.array(vals, dtype=float)
    model = _Model(lp)
    out = []
    for need in needs:
        cost = np.zeros(len(members))
        for f, coef in need.coefs:
            cost[index[f]] += coef
        model.objective(cost)
        # A side with no protection to check is not solved unless asked (exact).
        lo = model.bound(highspy.ObjSense.kMinimize, need) if exact or need.lower > 0 else -math.inf
        hi = model.bound(highspy.ObjSense.kMaximize, need) if exact or need.upper > 0 else math.inf
        if need.integer:
            lo = math.ceil(lo - 1e-6) if math.isfinite(lo) else lo
            hi = math.floor(hi + 1e-6) if math.isfinite(hi) else hi
        out.append(Interval(need, lo, hi))
        if first_exposed and out[-1].exposed:
            break
    return out


class _Model:
    """One component's LP on this thread's HiGHS, objective after objective."""

    def __init__(self, lp: highspy.HighsLp) -> None:
        self.lp = lp
        self.h = _solver()
        self.h.passModel(lp)
        self.cost = np.zeros(lp.num_col_)
        self.columns = np.arange(lp.num_col_, dtype=np.int32)

    def objective(self, cost: np.ndarray) -> None:
        self.cost = cost
        self.h.changeColsCost(len(cost), self.columns, cost)

    def bound(self, sense: highspy.ObjSense, need: Need) -> float:
        """The objective's optimum; solved afresh, then by the interior-point method,
        when HiGHS stops without an answer; AuditFailed when none answers."""
        value = _optimum(self.h, sense)
        if value is None:  # the kept basis led the simplex astray: once more afresh
            self.h = _fresh_solver()
            self.h.passModel(self.lp)
            self.objective(self.cost)
            value = _optimum(self.h, sense)
        if value is None:
            self.h.setOptionValue("solver", "ipm")
            value = _optimum(self.h, sense)
            self.h.setOptionValue("solver", "choose")
        if value is None:
            status = self.h.modelStatusToString(self.h.getModelStatus())
            raise AuditFailed(f"disclosure audit: the LP failed for {need.unit!r} ({status})")
        return value


_local = threading.local()


def _solver() -> highspy.Highs:
    """This thread's HiGHS instance (one per thread: an instance is not thread-safe)."""
    h = getattr(_local, "highs", None)
    return _fresh_solver() if h is None else h


def _fresh_solver() -> highspy.Highs:
    """A new HiGHS instance with default options, made this thread's. HiGHS prints a
    banner on stdout when an instance is made; it is kept off stdout, which is some
    processes' output (CSV exports, CLIs)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    h.setOptionValue("output_flag", False)
    _local.highs = h
    return h


def _optimum(h: highspy.Highs, sense: highspy.ObjSense) -> float | None:
    """The optimum of the current objective; ±inf when unbounded that way; None when
    HiGHS stops without an answer (seen as status Unknown from a warm start)."""
    h.changeObjectiveSense(sense)
    h.run()
    status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kOptimal:
        return float(h.getInfo().objective_function_value)
    if status in (
        highspy.HighsModelStatus.kUnbounded,
        highspy.HighsModelStatus.kUnboundedOrInfeasible,
    ):
        return -math.inf if sense == highspy.ObjSense.kMinimize else math.inf
    return None
