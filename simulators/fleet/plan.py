"""Who the fleet is: sites spread over districts and dongs like the city's households.

A district is drawn with probability proportional to its households
(config/geo/districts.yaml), a dong uniformly within it; a building type from
the city's mix; each site has one agent with `meters_per_agent` meters whose
utilities suit the building. Everything is drawn from the seed.

`per_dong` (the city demo) first gives every dong that many sites, so that
a small city still has something in each of the 96 (the geography has no
households per dong to weigh them by); the rest are drawn as above.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from simulators.model.spec import LoadSpec
from telemetry.registry import Geography, load_geography

# (building type, site kind, weight): most of the city lives in apartments
BUILDING_MIX = (
    ("apartment", "apartment_complex", 0.55),
    ("detached_house", "household", 0.2),
    ("commercial", "public_building", 0.12),
    ("industrial", "industrial_complex", 0.06),
    ("public", "public_building", 0.04),
    ("education", "public_building", 0.03),
)
UTILITY_CYCLE = {
    "apartment": ("electricity", "gas", "water", "heat", "solar"),
    "detached_house": ("electricity", "gas", "water", "solar"),
    "industrial": ("electricity", "gas", "water", "solar", "heat"),
}
DEFAULT_CYCLE = ("electricity", "water", "gas", "heat", "solar")
SHORT = {"electricity": "elec", "gas": "gas", "water": "water", "heat": "heat", "solar": "pv"}


@dataclass(frozen=True, slots=True)
class FleetMeter:
    id: str
    utility: str
    spec: LoadSpec


@dataclass(frozen=True, slots=True)
class FleetAgent:
    site: str
    agent: str
    district: str
    dong: str
    building_type: str
    kind: str
    households: int | None
    meters: tuple[FleetMeter, ...]


def plan_fleet(
    agents: int,
    meters_per_agent: int,
    seed: int,
    geography: Geography | None = None,
    per_dong: int = 0,
) -> list[FleetAgent]:
    geo = geography or load_geography()
    rng = random.Random(seed)
    districts = sorted(geo.districts.values(), key=lambda d: d.code)
    weights = [d.households or d.population or 1 for d in districts]
    dongs = {d.code: sorted(geo.dongs_of(d.code), key=lambda x: x.code) for d in districts}
    every_dong = [(d, dong) for d in districts for dong in dongs[d.code]]
    types = [b for b in BUILDING_MIX]
    out: list[FleetAgent] = []
    for i in range(agents):
        if i < per_dong * len(every_dong):  # the floor first, dong by dong in turn
            district, dong = every_dong[i % len(every_dong)]
        else:
            district = rng.choices(districts, weights)[0]
            dong = rng.choice(dongs[district.code])
        building, kind, _ = rng.choices(types, [w for *_, w in types])[0]
        households = _households(building, rng)
        site = f"fleet-{i:05d}"
        out.append(
            FleetAgent(
                site=site,
                agent=f"{site}-gw",
                district=district.code,
                dong=dong.code,
                building_type=building,
                kind=kind,
                households=households,
                meters=_meters(site, building, households, meters_per_agent, seed),
            )
        )
    return out


def _households(building: str, rng: random.Random) -> int | None:
    if building == "apartment":
        return rng.randrange(100, 1500, 10)
    if building == "detached_house":
        return 1
    return None


def _meters(
    site: str, building: str, households: int | None, count: int, seed: int
) -> tuple[FleetMeter, ...]:
    cycle = UTILITY_CYCLE.get(building, DEFAULT_CYCLE)
    utilities = [cycle[j % len(cycle)] for j in range(count)]
    meters = []
    for j, utility in enumerate(utilities):
        same = utilities.count(utility)
        meter_id = f"{SHORT[utility]}-{j // len(cycle) + 1}"
        spec = LoadSpec(seed, site, meter_id, utility, building, (households or 1) / same)
        meters.append(FleetMeter(meter_id, utility, spec))
    return tuple(meters)
