"""A month with its days, as the rollups decide it (issue 24): each day when it is
decided (kept in the patterns, days apart from the hours), then the month protected
with them (`aggregate.decide_cells` → `period_parts`). The attacker has every published
day and the month; the LP audit over the month-and-days system finds nothing. Decided
alone, as the rollups did before, the month gives the shops' withheld day away.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from collector.rollup.aggregate import Cell, CellKey, days_of_month, decide_cells
from collector.rollup.disclosure import Facts, Patterns, Version, contributions
from collector.rollup.groups import Group
from telemetry.disclosure import Reason, audit, primary_needs
from telemetry.influx_schema import CONSUMPTION_1D, CONSUMPTION_1H, CONSUMPTION_1MO
from telemetry.months import KST
from tests.disclosure.attacker import with_parts
from tests.disclosure.test_attack import ENERGY_RULES
from tests.disclosure.test_day_hours import SITES as DAY_SITES

MONTH = int(datetime(2026, 11, 1, tzinfo=KST).timestamp() * 1000)
DAYS = list(days_of_month(MONTH))[:4]  # the days with readings so far
AUDIT_MONTH = MONTH - 7  # the month's key in the attacker's system (apart from its first day)
SHOPS = Group("29200", "2920065000", "all")

# The day's sites (test_day_hours.py): five shops, one of which sends nothing on the
# third day (four: below k).
SITES = DAY_SITES


def _use(site: str, day: int) -> float | None:
    if site == "shop-0" and day == DAYS[2]:
        return None
    kind = site.split("-")[0]
    return {"ind": 600.0, "shop": 240.0 + DAYS.index(day), "apt": 9600.0, "office": 360.0}[kind]


def _cells(ts: int, days: list[int]) -> dict[CellKey, Cell]:
    """Group cells of the period at `ts` summing the sites' use over `days`."""
    cells: dict[CellKey, Cell] = {}
    shares: dict[CellKey, list[tuple[float, int]]] = {}
    for info in SITES:
        found = [v for v in (_use(info.site, d) for d in days) if v is not None]
        if not found:
            continue
        for g in info.groups():
            cell = cells.setdefault(("electricity", ts, g), Cell())
            cell.add(info, sum(found), 1, True)
            shares.setdefault(("electricity", ts, g), []).append((sum(found), info.households))
    for key, cell in cells.items():
        cell.top = contributions(shares[key])
    return cells


def _facts(cells: dict[CellKey, Cell]) -> dict[CellKey, Facts]:
    return {k: Facts(c.total, c.holders.count, c.top) for k, c in cells.items()}


def _days(patterns: Patterns) -> tuple[dict[CellKey, Facts], set[CellKey]]:
    """Each day decided as a pass decides it (its version kept): facts, published."""
    facts: dict[CellKey, Facts] = {}
    published: set[CellKey] = set()
    for day in DAYS:
        cells = _cells(day, [day])
        shown, _why = decide_cells(cells, ENERGY_RULES, patterns, CONSUMPTION_1D, day)
        facts |= _facts(cells)
        published |= shown
    return facts, published


def _exposed(with_days: bool) -> tuple[dict, dict[CellKey, Reason]]:
    patterns = Patterns()
    day_facts, published = _days(patterns)
    month = _cells(MONTH, DAYS)
    shown, why = decide_cells(month, ENERGY_RULES, patterns if with_days else Patterns(),
                              CONSUMPTION_1MO, MONTH)  # fmt: skip
    system = with_parts(day_facts, _facts(month), AUDIT_MONTH, DAYS)
    _reasons, needs = primary_needs(system, ENERGY_RULES)
    published |= {(u, AUDIT_MONTH, g) for u, _t, g in shown}
    assert any(k[1] == AUDIT_MONTH for k in published)  # the month says something
    return {e.need.unit: e for e in audit(system, published, needs)}, why


def test_a_month_decided_on_its_own_gives_a_withheld_day_away() -> None:
    exposed, _why = _exposed(with_days=False)
    shops_day = ("electricity", DAYS[2], SHOPS)
    value = _facts(_cells(DAYS[2], [DAYS[2]]))[shops_day].total
    assert exposed[shops_day].lo == pytest.approx(value)
    assert exposed[shops_day].hi == pytest.approx(value)


def test_a_month_decided_with_its_days_gives_nothing_away() -> None:
    exposed, why = _exposed(with_days=True)
    assert exposed == {}
    assert why[("electricity", MONTH, SHOPS)] is Reason.PROTECTS  # held for its day


def test_the_days_of_two_months_outlast_the_hours_in_the_kept_versions() -> None:
    """Hours come 24 a day: kept in one count with the days, they pushed a month's first
    days out within five days, and the month was decided alone again."""
    patterns = Patterns()
    version = Version({}, frozenset())
    for day in days_of_month(MONTH):
        patterns.put(CONSUMPTION_1D, "electricity", day, set(), version)
        for hour in range(day, day + 86_400_000, 3_600_000):
            for utility in ("electricity", "gas", "water", "heat", "solar"):
                patterns.put(CONSUMPTION_1H, utility, hour, set(), version)
    assert all(patterns.version(CONSUMPTION_1D, "electricity", d) for d in days_of_month(MONTH))
    assert patterns.version(CONSUMPTION_1H, "electricity", DAYS[0]) is None  # long gone
