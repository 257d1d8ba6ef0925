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

from bench.bench_disclosure import HOUR, cells_of, hourly_values, synthetic_sites
from collector.rollup.complementary import publishable as old_publishable
from collector.rollup.disclosure import Version, decide, energy_system
from telemetry.disclosure import DisclosureRules, Reason, audit, primary_needs

RULES = DisclosureRules(k=5)
HOURS = 4


@pytest.mark.parametrize(("seed", "districts"), [(1, {"29110", "29140"}), (2, {"29155"})])
def test_a_city_day_decided_with_its_hours_passes_the_full_audit(
    seed: int, districts: set[str]
) -> None:
    rng = random.Random(seed)
    sites = [s for s in synthetic_sites(rng) if s.district in districts]
    facts, holders = cells_of(sites, hourly_values(sites, HOURS, rng), "electricity", HOURS)
    versions: dict[int, Version] = {}
    for h in range(0, HOURS * HOUR, HOUR):
        mine = {k: f for k, f in facts.items() if k[1] == h}
        seed_pattern = {("electricity", h, g) for g in old_publishable(holders[("electricity", h)], RULES.k)[1]}  # fmt: skip
        shown, why = decide(mine, RULES, start=seed_pattern)
        pattern = frozenset(k for k, r in why.items() if r is Reason.PROTECTS)
        versions[h] = Version(mine, frozenset(shown), 0, pattern)
    day = HOURS * HOUR
    day_cells = {k: f for k, f in facts.items() if k[1] == day}
    start = {("electricity", day, g) for g in old_publishable(holders[("electricity", day)], RULES.k)[1]}  # fmt: skip
    shown, _why = decide(day_cells, RULES, start=start, hours=versions)
    assert 0 < len(shown) < len(day_cells)
    system = energy_system(facts, {("electricity", day): list(versions)})
    _reasons, needs = primary_needs(system, RULES)
    published = shown | {k for v in versions.values() for k in v.published}
    assert audit(system, published, needs) == []
