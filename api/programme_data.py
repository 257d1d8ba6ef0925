"""What a programme evaluation reads: households from the registry, monthly use from the store.

A household's use is the sum of its meters' daily consumption
(`meter_consumption_1d`, written by the rollup) per KST month. Its meters are
those the registry names for it (`meters:`), by default every meter of its
own `household` site; a household in an apartment complex without meters of
its own has no metered use here.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from api.programme_eval import Enrolled, MonthlyUse, Subject
from api.stores import PrivateStore
from api.timewin import Every, floor, from_ms, ms
from telemetry.influx_schema import METER_CONSUMPTION_1D, rollup_from
from telemetry.influxql import tag_eq, time_window
from telemetry.registry.household_registry import HouseholdRegistry, MeterKey

SITES_PER_QUERY = 50


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
    owner: dict[MeterKey, str] = {}
    for h in homes.households.values():
        for key in homes.meters_of(h):
            owner[key] = h.id
    sites = sorted({site for site, _ in owner})
    totals: dict[tuple[str, str, dt.date], float] = defaultdict(float)
    for i in range(0, len(sites), SITES_PER_QUERY):
        chunk = " OR ".join(tag_eq("site", s) for s in sites[i : i + SITES_PER_QUERY])
        rows = store.rows(
            f"SELECT consumption FROM {rollup_from(METER_CONSUMPTION_1D)} WHERE ({chunk}) "
            f"AND {time_window(ms(start), ms(end))} GROUP BY site, meter, utility"
        )
        for r in rows:
            household = owner.get((r["site"], r["meter"])) or owner.get((r["site"], None))
            if household is None or r.get("consumption") is None:
                continue
            month = floor(from_ms(r["time"]), Every.MONTH).date()
            totals[(household, r["utility"], month)] += float(r["consumption"])
    return [MonthlyUse(h, u, m, used) for (h, u, m), used in sorted(totals.items())]
