"""Privacy of the public bucket, checked against site sets derived from raw readings:
no group below k, and no withheld group recoverable as parent minus published parts."""

from __future__ import annotations

from collections import defaultdict

import pytest

from tests.rollup import brute, city
from tests.rollup.conftest import RolledCity

pytestmark = pytest.mark.timeout(120)
K = 5
HOUSEHOLDS = {"apt": 840, **dict.fromkeys(city.HOUSEHOLDS, 1)}
ALL = "all"


def _site_sets(c: RolledCity) -> dict[tuple, set[str]]:
    """(utility, district, dong, building_type, hour) -> sites with a reading in that hour."""
    out: dict[tuple, set[str]] = defaultdict(set)
    for utility, field in brute.UTILITY_COUNTER.items():
        for tags, values in brute.raw_rows(c.ql, c.raw, utility, field).items():
            t = dict(tags)
            for ts, _ in values:
                for g in brute._groups(t):
                    out[(utility, *g, ts - ts % brute.HOUR)].add(t["site"])
    return out


def _holders(sites: set[str]) -> int:
    return sum(HOUSEHOLDS.get(s, 0) for s in sites) + sum(s not in HOUSEHOLDS for s in sites)


def _partitions(d: str, n: str, b: str, keys: set[tuple[str, str, str]]) -> list[list[tuple]]:
    parts = []
    if d == ALL:
        parts.append([g for g in keys if g[0] != ALL and g[1] == ALL and g[2] == b])
    if d != ALL and n == ALL:
        parts.append([g for g in keys if g[0] == d and g[1] != ALL and g[2] == b])
    if b == ALL:
        parts.append([g for g in keys if g[0] == d and g[1] == n and g[2] != ALL])
    return [p for p in parts if p]


def test_no_withheld_group_can_be_derived(rolled: RolledCity) -> None:
    sites = _site_sets(rolled)
    public = set(brute.stored(rolled.ql, rolled.public, "consumption_1h", "consumption"))
    assert public
    by_slice: dict[tuple, set[tuple]] = defaultdict(set)
    for utility, d, n, b, hour in sites:
        by_slice[(utility, hour)].add((d, n, b))
    checked = 0
    for (utility, hour), groups in by_slice.items():
        for parent in groups:
            if (utility, *parent, hour) not in public:
                continue
            for part in _partitions(*parent, groups):
                hidden = [g for g in part if (utility, *g, hour) not in public]
                if hidden and len(hidden) < len(part):
                    residual = set().union(*(sites[(utility, *g, hour)] for g in hidden))
                    assert _holders(residual) >= K, (utility, parent, hidden)
                    checked += 1
        # A published group never holds exactly the sites of a withheld one.
        shown = {
            frozenset(sites[(utility, *g, hour)]) for g in groups if (utility, *g, hour) in public
        }
        for g in groups:
            if (utility, *g, hour) not in public:
                assert frozenset(sites[(utility, *g, hour)]) not in shown, (utility, g)
    assert checked > 0  # the city has differences to close


def test_the_smallest_sibling_is_withheld_for_the_households(rolled: RolledCity) -> None:
    public = brute.stored(rolled.ql, rolled.public, "consumption_1h", "consumption")
    districts = {k[1] for k in public if k[0] == "electricity" and k[2] == ALL and k[3] == ALL}
    assert districts == {ALL, city.APARTMENT_DONG[0], city.INDUSTRIAL_DONG[0]}
    rows = rolled.ql.rows(
        f"SELECT holders, complementary FROM suppressed WHERE district = '{city.SCHOOL_DONG[0]}' "
        "AND \"measurement\" = 'consumption_1h'",
        rolled.raw,
    )
    assert rows and all(r["complementary"] == 1 and r["holders"] == 5 for r in rows)
