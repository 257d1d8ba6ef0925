"""A city's day with its hours, decided as the rollups decide it (each hour alone, then
the day with its hours fixed: the modular method), audited over the *whole* system —
every hour's hierarchy, the day's, and every group's day = Σ hours — by the LP. The
synthetic city of `bench/bench_disclosure.py` cut to districts: many small groups, a
dominant factory in some dongs, sites missing hours, so that hours withhold groups to
protect others which their own hour's sums already give (needs pinned for the day).
"""

from __future__ import annotations

import random

import pytest

from bench.bench_disclosure import (
    HOUR,
    cells_of,
    day_system,
    decide_hours,
    hourly_values,
    old_seed,
    synthetic_sites,
)
from collector.rollup.disclosure import decide
from telemetry.disclosure import DisclosureRules, audit

RULES = DisclosureRules(k=5)
HOURS = 4


@pytest.mark.parametrize(("seed", "districts"), [(1, {"29110", "29140"}), (2, {"29155"})])
def test_a_city_day_decided_with_its_hours_passes_the_full_audit(
    seed: int, districts: set[str]
) -> None:
    rng = random.Random(seed)
    sites = [s for s in synthetic_sites(rng) if s.district in districts]
    facts, holders = cells_of(sites, hourly_values(sites, HOURS, rng), "electricity", HOURS)
    versions = decide_hours("electricity", facts, holders, RULES, HOURS)
    day = HOURS * HOUR
    day_cells = {k: f for k, f in facts.items() if k[1] == day}
    start = old_seed(holders, "electricity", day, RULES.k)
    shown, _why = decide(day_cells, RULES, start=start, hours=versions)
    assert 0 < len(shown) < len(day_cells)
    system, published, needs = day_system(facts, "electricity", day, versions, shown, RULES)
    assert audit(system, published, needs) == []
