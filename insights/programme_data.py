"""What a programme evaluation reads: households from the registry, monthly use from the store.

A household's use per utility and KST month is the one its own page shows
(`household_months.months_of`: the monthly rollup `meter_consumption_1mo` of
its metered meters and its imports, metered > interval > bill), so the
evaluation and the household speak of the same use, bills included. Every
household of the registry is read, `HOUSEHOLDS_PER_QUERY` per query (their
metered sites and one regex of their ids each; docs/DECISIONS.md has the
measured cost).
"""

from __future__ import annotations

import datetime as dt

from insights.household_months import months_of
from insights.programme_inputs import Enrolled, MonthlyUse, Subject
from stores.influx import PrivateStore
from telemetry.registry.household_registry import HouseholdRegistry

HOUSEHOLDS_PER_QUERY = 500


def subjects(homes: HouseholdRegistry) -> list[Subject]:
    return [
        Subject(
            h.id,
            homes.cell_of(h),
            tuple(Enrolled(e.programme, e.start, e.end) for e in h.enrolments),
        )
        for h in homes.households.values()
    ]


def monthly_use(
    store: PrivateStore, homes: HouseholdRegistry, start: dt.datetime, end: dt.datetime
) -> list[MonthlyUse]:
    """Every household's use per utility and KST month in [start, end)."""
    households = sorted(homes.households.values(), key=lambda h: h.id)
    found = months_of(store, homes, households, start, end, per_query=HOUSEHOLDS_PER_QUERY)
    return [
        MonthlyUse(household, utility, m.month, m.consumption)
        for household, utilities in sorted(found.items())
        for utility, months in sorted(utilities.items())
        for m in months
    ]
