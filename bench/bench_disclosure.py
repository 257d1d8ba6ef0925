"""Disclosure control at city scale (issue 24): the time to protect and audit the groups
the rollups publish, against the rules before issue 24 measured in the same run.

A synthetic city over Gwangju's 96 dongs and six building types (a few to a few dozen
sites per dong and type; apartment complexes of hundreds of households, single
households, a dominant factory in some dongs), five utilities, a day of hours in which
some sites miss an hour. Per utility it measures:

- per period, as a rollup pass decides its groups now: `protect` over one hour's
  hierarchy (~650 groups), started from the old rule's pattern as a pass with no pattern
  of its own does, and the old `complementary.publishable` on the same cells (the
  baseline); then the next pass, started from that pattern, on figures 1 % larger;
- the day protected with its hours (25 periods, the day = the sum of its hours for every
  group): `protect` and a final audit of the published system, i.e. what protecting live
  and hourly figures together with their day costs;
- the day with its hours as the rollups decide it (modular: each hour alone, then the
  day's hierarchy with every group's time table, the hours fixed), and the LP audit of
  the whole day-and-hours system on its result (exposures found: the method's gap);
- the same for the demo city (config/sites/demo.yaml).

Prints seconds, units, LPs solved and the ratio new/old.

    python -m bench.bench_disclosure [--utilities 5] [--seed 1] [--hours 24]
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from collections.abc import Callable
from functools import partial
from typing import Annotated, TypeVar

import typer

from collector.rollup.complementary import publishable as old_publishable
from collector.rollup.disclosure import (
    Facts,
    UnitKey,
    Version,
    contributions,
    decide,
    energy_system,
)
from collector.rollup.groups import Group, Holders, SiteInfo, site_infos
from telemetry.disclosure import (
    DisclosureRules,
    Need,
    Reason,
    System,
    audit,
    primary_needs,
    protect,
)
from telemetry.paths import resolve_config_path
from telemetry.registry import load_geography, load_registry

TYPES = ["apartment", "detached_house", "industrial", "commercial", "public", "education"]
UTILITIES = ["electricity", "gas", "water", "heat", "solar"]
HOUR = 3_600_000
DEMO = "config/sites/demo.yaml"
T = TypeVar("T")


def synthetic_sites(rng: random.Random) -> list[SiteInfo]:
    out = []
    for dong in sorted(load_geography().dongs.values(), key=lambda d: d.code):
        for bt in TYPES:
            n = rng.choice([0, 1, 2, 3, 4, 6, 8, 12, 20, 30])
            for i in range(n):
                hh = {"apartment": rng.randint(150, 900), "detached_house": 1}.get(bt, 0)
                out.append(SiteInfo(f"{dong.code}-{bt}-{i}", dong.district, dong.code, bt, hh))
    return out


def hourly_values(
    sites: list[SiteInfo], hours: int, rng: random.Random
) -> dict[tuple[str, int], float]:
    """(site, hour) → use; ~3 % of site-hours missing; a dominant factory per tenth dong."""
    dominant = {s.dong for s in sites if s.building_type == "industrial" and rng.random() < 0.1}
    out = {}
    for s in sites:
        scale = rng.lognormvariate(0, 1) * (max(s.households, 1) ** 0.9)
        if s.building_type == "industrial" and s.dong in dominant and s.site.endswith("-0"):
            scale *= 200
        for h in range(hours):
            if rng.random() < 0.03:
                continue
            out[(s.site, h)] = scale * rng.uniform(0.5, 1.5)
    return out


def cells_of(
    sites: list[SiteInfo], values: dict[tuple[str, int], float], utility: str, hours: int
) -> tuple[dict[UnitKey, Facts], dict[tuple[str, int], dict[Group, Holders]]]:
    """Group facts per hour and for the day (period key = hours × HOUR), and the old
    rule's holders per period."""
    day = hours * HOUR
    shares: dict[UnitKey, list[tuple[float, int]]] = defaultdict(list)
    holders: dict[tuple[str, int], dict[Group, Holders]] = defaultdict(dict)
    daily: dict[str, float] = defaultdict(float)
    for (site, _h), v in values.items():
        daily[site] += v
    by_id = {s.site: s for s in sites}
    for (site, h), v in values.items():
        _add(shares, holders, utility, h * HOUR, by_id[site], v)
    for site, v in daily.items():
        _add(shares, holders, utility, day, by_id[site], v)
    facts = {
        key: Facts(
            sum(v for v, _ in found),
            holders[(key[0], key[1])][key[2]].count,
            contributions(found),
        )
        for key, found in shares.items()
    }
    return facts, holders


def _add(
    shares: dict[UnitKey, list[tuple[float, int]]],
    holders: dict[tuple[str, int], dict[Group, Holders]],
    utility: str,
    ts: int,
    info: SiteInfo,
    v: float,
) -> None:
    for g in info.groups():
        shares[(utility, ts, g)].append((v, info.households))
        holders[(utility, ts)].setdefault(g, Holders()).add_site(info)


def _timed(fn: Callable[[], T]) -> tuple[T, float]:
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def old_seed(
    holders: dict[tuple[str, int], dict[Group, Holders]], utility: str, ts: int, k: int
) -> set[UnitKey]:
    """The old rule's pattern of a period: where a pass with no pattern of its own starts
    (aggregate.decide_cells)."""
    return {(utility, ts, g) for g in old_publishable(holders[(utility, ts)], k)[1]}


def decide_hours(
    utility: str,
    facts: dict[UnitKey, Facts],
    holders: dict[tuple[str, int], dict[Group, Holders]],
    rules: DisclosureRules,
    hours: int,
) -> dict[int, Version]:
    """Each hour of the day decided alone as a pass decides it, its version kept."""
    versions: dict[int, Version] = {}
    for h in range(0, hours * HOUR, HOUR):
        mine = {k: f for k, f in facts.items() if k[1] == h}
        shown, why = decide(mine, rules, start=old_seed(holders, utility, h, rules.k))
        pattern = frozenset(k for k, r in why.items() if r is Reason.PROTECTS)
        versions[h] = Version(mine, frozenset(shown), 0, pattern)
    return versions


def day_system(
    facts: dict[UnitKey, Facts],
    utility: str,
    day: int,
    versions: dict[int, Version],
    shown: set[UnitKey],
    rules: DisclosureRules,
) -> tuple[System, set[UnitKey], list[Need]]:
    """The whole day-and-hours system (every hierarchy, every sum) as the attacker has
    it: what the day (`shown`) and its hours published, and the needs of the rules."""
    system = energy_system(facts, {(utility, day): list(versions)})
    _reasons, needs = primary_needs(system, rules)
    return system, shown | {k for v in versions.values() for k in v.published}, needs


def _each_period(
    facts: dict[UnitKey, Facts],
    holders: dict[tuple[str, int], dict[Group, Holders]],
    rules: DisclosureRules,
) -> None:
    """Every period decided alone, as a pass with no pattern yet does (aggregate.py)."""
    for utility, ts in holders:
        mine = {k: f for k, f in facts.items() if k[1] == ts}
        protect(energy_system(mine), rules, start=old_seed(holders, utility, ts, rules.k))


def _modular_day(
    label: str,
    utility: str,
    facts: dict[UnitKey, Facts],
    holders: dict[tuple[str, int], dict[Group, Holders]],
    rules: DisclosureRules,
    hours: int,
    totals: dict[str, float],
    full_audit: bool = True,
) -> None:
    """The day with its hours as the rollups decide it (disclosure.with_hours): each hour
    alone (from the old rule's pattern), then the day with every group's time table;
    then the LP audit of the whole day-and-hours system (every hierarchy, every sum)."""
    day = hours * HOUR
    versions, hours_s = _timed(partial(decide_hours, utility, facts, holders, rules, hours))
    day_cells = {k: f for k, f in facts.items() if k[1] == day}
    # As a pass with no pattern for the day decides it: from the old rule's pattern.
    seed = old_seed(holders, utility, day, rules.k)
    (shown, why), day_s = _timed(partial(decide, day_cells, rules, start=seed, hours=versions))
    # The next pass: from that pattern (the figures as they were: one audit, the time
    # table's closed form included).
    pattern = {k for k, r in why.items() if r.value == "protects_another"}
    _, warm_s = _timed(partial(decide, day_cells, rules, start=pattern, hours=versions))
    print(
        f"{label} {utility:11s}: day with its hours, modular: {hours} hours alone "
        f"{hours_s:6.2f} s, the day with its time tables {day_s * 1000:7.1f} ms "
        f"({len(day_cells) - len(shown)} of {len(day_cells)} day groups withheld), "
        f"the next pass from its pattern {warm_s * 1000:7.1f} ms",
        flush=True,
    )
    totals["modular_day"] += day_s
    totals["modular_warm"] += warm_s
    if not full_audit:
        return
    system, published, needs = day_system(facts, utility, day, versions, shown, rules)
    exposed, audit_s = _timed(partial(audit, system, published, needs))
    print(
        f"{label} {utility:11s}: the full LP audit of the day and its hours ("
        f"{len(system.units)} groups) {audit_s:6.2f} s: {len(exposed)} exposed",
        flush=True,
    )
    totals["modular_audit"] += audit_s
    totals["modular_exposed"] += len(exposed)


def run(
    label: str,
    sites: list[SiteInfo],
    utilities: int,
    hours: int,
    seed: int,
    joint_day: bool,
    each_period: bool = True,
    full_audit: bool = True,
) -> None:
    rules = DisclosureRules(k=5)
    rng = random.Random(seed)
    totals = defaultdict(float)
    for utility in UTILITIES[:utilities]:
        values = hourly_values(sites, hours, rng)
        facts, holders = cells_of(sites, values, utility, hours)
        day = hours * HOUR
        hour0 = {k: f for k, f in facts.items() if k[1] == 0}
        # The baseline: the old rule on one hour's groups.
        first = holders[(utility, 0)]
        (_public, extra), old_s = _timed(partial(old_publishable, first, rules.k))
        # A pass with no pattern for the period starts from the old rule's (aggregate.py).
        seed = {(utility, 0, g) for g in extra}
        one, new_s = _timed(partial(protect, energy_system(hour0), rules, start=seed))
        # The next pass: the hour's figures grew a little; start from this pattern.
        pattern = {k for k, r in one.reasons.items() if r.value == "protects_another"}
        later = {k: Facts(f.total * 1.01, f.holders, f.top) for k, f in hour0.items()}
        again, warm_s = _timed(partial(protect, energy_system(later), rules, start=pattern))
        # Every period alone, as a pass decides now (hours and the day each on their own).
        _, all_periods_old = _timed(
            partial(lambda h: [old_publishable(c, rules.k) for c in h.values()], holders)
        )
        all_periods_new = 0.0
        if each_period:
            _, all_periods_new = _timed(partial(_each_period, facts, holders, rules))
        print(
            f"{label} {utility:11s}: one hour {len(hour0)} groups: new {new_s * 1000:7.1f} ms "
            f"({one.rounds} rounds), old {old_s * 1000:6.2f} ms; next pass from its pattern "
            f"{warm_s * 1000:7.1f} ms ({again.rounds} rounds); each of the {hours + 1} periods "
            f"alone: new {all_periods_new:6.2f} s, old {all_periods_old:5.2f} s",
            flush=True,
        )
        totals["warm"] += warm_s
        totals["one"] += new_s
        totals["new"] += all_periods_new
        totals["old"] += all_periods_old
        _modular_day(label, utility, facts, holders, rules, hours, totals, full_audit)
        if not joint_day:
            continue
        # The day with its hours as one system.
        system = energy_system(facts, {(utility, day): [h * HOUR for h in range(hours)]})
        seeds = set()
        for (u, ts), cells in holders.items():
            seeds |= {(u, ts, g) for g in old_publishable(cells, rules.k)[1]}
        joint, joint_s = _timed(partial(protect, system, rules, start=seeds))
        check, audit_s = _timed(partial(audit, system, joint.published, joint.needs))
        assert check == []
        withheld = len(system.units) - len(joint.published)
        print(
            f"{label} {utility:11s}: day+hours as one system: {len(system.units)} "
            f"groups, {len(system.constraints)} constraints, protect {joint_s:6.2f} s "
            f"({joint.rounds} rounds, {withheld} withheld, "
            f"{sum(1 for r in joint.reasons.values() if r.value == 'dominated')} dominated), "
            f"audit {audit_s:5.2f} s"
        )
        totals["joint"] += joint_s
        totals["audit"] += audit_s
    print(
        f"{label} all utilities: one hour's groups {totals['one']:.2f} s, the next pass from "
        f"its pattern {totals['warm']:.2f} s; each period alone new {totals['new']:.2f} s vs old "
        f"{totals['old']:.2f} s (×{totals['new'] / max(totals['old'], 1e-9):,.0f}); day+hours "
        f"joint {totals['joint']:.2f} s, its audit {totals['audit']:.2f} s; the day with "
        f"its hours, modular {totals['modular_day']:.2f} s (next pass "
        f"{totals['modular_warm']:.2f} s), full audit "
        f"{totals['modular_audit']:.2f} s, {totals['modular_exposed']:.0f} exposed"
    )


def main(
    utilities: Annotated[int, typer.Option(help="how many utilities (1-5)")] = 5,
    hours: Annotated[int, typer.Option(help="hours in the day")] = 24,
    seed: Annotated[int, typer.Option(help="randomness")] = 1,
    joint_day: Annotated[bool, typer.Option(help="also the day with its hours as one")] = True,
    city_only: Annotated[bool, typer.Option(help="skip the demo city")] = False,
    each_period: Annotated[bool, typer.Option(help="also every period alone")] = True,
    full_audit: Annotated[bool, typer.Option(help="the full LP audit of the day")] = True,
) -> None:
    rng = random.Random(seed)
    city = synthetic_sites(rng)
    print(f"synthetic city: {len(city)} sites over 96 dongs × {len(TYPES)} building types")
    demo = list(site_infos(load_registry(resolve_config_path(DEMO))).values())
    print(f"demo city: {len(demo)} sites (config/sites/demo.yaml)")
    if not city_only:
        run("demo", demo, utilities, hours, seed, joint_day, each_period, full_audit)
    run("city", city, utilities, hours, seed, joint_day, each_period, full_audit)


if __name__ == "__main__":
    typer.run(main)
