"""Live cells (aggregate.aggregate) built from each site's finest group and merged up
equal the cells of every site added to all six of its groups, as before: totals,
holders (counts and the site-set key), and the largest contributions."""

from __future__ import annotations

import random
from collections import defaultdict

import pytest

from collector.rollup.aggregate import Cell, CellKey, aggregate
from collector.rollup.disclosure import contributions
from collector.rollup.groups import SiteInfo


def _every_group(items: list, sites: dict[str, SiteInfo]) -> dict[CellKey, Cell]:
    per: dict[tuple[str, int, str], list[float]] = defaultdict(lambda: [0.0, 0])
    for u, s, ts, v, m in items:
        if s in sites:
            per[(u, ts, s)][0] += v
            per[(u, ts, s)][1] += m
    cells: dict[CellKey, Cell] = {}
    shares: dict[CellKey, list[tuple[float, int]]] = defaultdict(list)
    for (u, ts, s), (total, meters) in per.items():
        info = sites[s]
        for g in info.groups():
            cells.setdefault((u, ts, g), Cell()).add(info, total, int(meters), True)
            shares[(u, ts, g)].append((total, info.households))
    for key, cell in cells.items():
        cell.top = contributions(shares[key])
    return cells


@pytest.mark.parametrize("seed", range(5))
def test_cells_merged_from_the_finest_groups_equal_every_site_in_six(seed: int) -> None:
    rng = random.Random(seed)
    sites = {}
    for i in range(300):
        district = rng.choice(["29110", "29140", "29155"])
        sites[f"s{i}"] = SiteInfo(
            f"s{i}",
            district,
            district + rng.choice(["510", "520", "530"]),
            rng.choice(["apartment", "commercial", "industrial"]),
            rng.choice([0, 0, 1, 5, 40]),
            rng.random() < 0.3,
        )
    items = [
        (rng.choice(["electricity", "water"]), f"s{rng.randrange(320)}",
         rng.choice([0, 60_000]), rng.uniform(-5, 100), 1)
        for _ in range(3000)
    ]  # fmt: skip
    cells, unknown = aggregate(items, sites)
    expected = _every_group(items, sites)
    assert set(cells) == set(expected)
    assert unknown == {s for _u, s, _t, _v, _m in items if s not in sites}
    for key, want in expected.items():
        got = cells[key]
        assert got.total == pytest.approx(want.total, abs=1e-9)
        assert (got.holders, got.top) == (want.holders, want.top)
