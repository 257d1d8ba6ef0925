"""The linear-programming audit against brute force: on small two-way tables with their
margins, the interval it gives each withheld count is exactly the smallest and largest
value the count takes over every non-negative integer table matching what is published
(two-way tables with margins have integral LP vertices, so the two must agree); and
`protect` leaves no withheld cell narrowed below its protection interval, checked by
enumeration, not by the audit it uses."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from telemetry.disclosure import (
    DisclosureRules,
    Kind,
    Need,
    Reason,
    System,
    Unit,
    hierarchy,
    intervals,
    protect,
)

ROWS, COLS = ("a", "b"), ("x", "y", "z")
ALL = "all"


def _table(values: list[int]) -> System:
    inner = dict(zip(itertools.product(ROWS, COLS), values, strict=True))
    cells: dict[tuple[str, str], int] = dict(inner)
    for r in ROWS:
        cells[(r, ALL)] = sum(inner[(r, c)] for c in COLS)
    for c in COLS:
        cells[(ALL, c)] = sum(inner[(r, c)] for r in ROWS)
    cells[(ALL, ALL)] = sum(values)
    system = System()
    for coords, n in cells.items():
        system.add(coords, Unit(Kind.FREQUENCY, n, {coords: float(n)}, main=coords))
    system.constraints.extend(hierarchy({c: c for c in cells}, ALL))
    system.check()
    return system


def _tuples(width: int, most: int) -> list[tuple[int, ...]]:
    """Every tuple of non-negative integers of this width with a sum of at most `most`."""
    if width == 0:
        return [()]
    return [(v, *rest) for v in range(most + 1) for rest in _tuples(width - 1, most - v)]


def _brute(system: System, published: set, slack: int = 0) -> dict:
    """Every withheld cell's (min, max) over all integer tables matching the published
    whose total exceeds the true one by at most `slack` (the true total, when it is
    published, bounds every table)."""
    inner = list(itertools.product(ROWS, COLS))
    total = int(system.value((ALL, ALL)))
    seen: dict = {}
    for values in _tuples(len(inner), total + slack):
        candidate = _table(list(values))
        if all(candidate.value(k) == system.value(k) for k in published):
            for key in system.units:
                if key not in published:
                    v = candidate.value(key)
                    lo, hi = seen.get(key, (v, v))
                    seen[key] = (min(lo, v), max(hi, v))
    return seen


def _need(system: System, key: tuple[str, str]) -> Need:
    v = system.value(key)
    return Need(key, Reason.TOO_FEW, ((key, 1.0),), v, 0, 0, True)


cells_st = st.lists(st.integers(0, 2), min_size=6, max_size=6)


@settings(max_examples=40, deadline=None)
@given(values=cells_st, hidden=st.sets(st.integers(0, 11), min_size=1, max_size=5))
def test_the_audit_gives_the_brute_force_intervals(values: list[int], hidden: set[int]) -> None:
    system = _table(values)
    keys = sorted(k for k in system.units if k != (ALL, ALL))  # the grand total is known
    withheld = {keys[i] for i in hidden if i < len(keys)} | {(r, c) for r in ROWS for c in COLS}
    published = set(system.units) - withheld
    needs = [_need(system, k) for k in sorted(withheld)]
    got = {i.need.unit: (i.lo, i.hi) for i in intervals(system, published, needs)}
    assert got == _brute(system, published)


@settings(max_examples=25, deadline=None)
@given(values=cells_st)
def test_protect_leaves_every_sensitive_cell_its_interval(values: list[int]) -> None:
    system = _table(values)
    for key in list(system.units):
        if ALL not in key:
            system.units[key].offered = False  # crossings are never published
    rules = DisclosureRules(k=3)
    result = protect(system, rules)
    # Tables up to 4 more in total than the true one: more than any upper protection
    # here needs (a count of at most 12 needs at most 3).
    truth = _brute(system, result.published, slack=4)
    assert result.needs or sum(values) == 0  # crossings hold at most 2 < k
    for need in result.needs:
        ((fig, _),) = need.coefs
        lo, hi = truth[fig]
        assert lo <= need.value - need.lower and hi >= need.value + need.upper, (values, need)
