"""A household's use per utility and KST month, from the monthly rollup of every source.

The rollup's `meter_consumption_1mo` (private bucket) holds each meter's use per
KST month with the `source` it came from: `meter` (our agents' counters),
`interval` (imported interval data, e.g. Green Button) or `bill` (monthly
bills, apportioned over months by days and flagged `apportioned`). A
household's rows are
- its metered meters (registry `meters_of`: its `meters:`, by default every
  meter of its own `household` site), and
- its imported meters: every meter whose id starts with `<household id>-`
  (Green Button `<hh>-<utility>[-N]`, bills `<hh>-<utility>-bill`) at any site,
  since an importer publishes under its own agent's site.

Per utility and month one source wins, the most direct one present: metered >
interval > bill (the same month is often in two: a bill for a metered flat);
the month's figure is that source's rows summed, apportioned when any of them is.
A Green Button usage point imported as deltas (`<hh>-<utility>[-N]`) and as a
register (the same id with `-reg`) is two `interval` meters: in a month with
both, the deltas count and the register does not (the finest wins).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from stores.influx import PrivateStore
from stores.timewin import from_ms, ms
from telemetry.influx_schema import (
    FIELD_APPORTIONED,
    METER_CONSUMPTION_1MO,
    SOURCE_BILL,
    SOURCE_INTERVAL,
    SOURCE_METER,
    TAG_SOURCE,
    rollup_from,
    superseded_registers,
)
from telemetry.influxql import tag_eq, time_window
from telemetry.registry.household_registry import HouseholdRegistry, MeterKey
from telemetry.registry.households import Household

SOURCES = (SOURCE_METER, SOURCE_INTERVAL, SOURCE_BILL)  # precedence: the first present wins
HOUSEHOLDS_PER_QUERY = 50


@dataclass(frozen=True, slots=True)
class Row:
    """One stored row of meter_consumption_1mo."""

    site: str
    meter: str
    utility: str
    source: str
    month: dt.date  # first day of the KST month
    consumption: float
    apportioned: bool


@dataclass(frozen=True, slots=True)
class MonthUse:
    month: dt.date
    consumption: float
    source: str  # the source that won: meter, interval or bill
    apportioned: bool


# utility -> its months, oldest first
UtilityMonths = dict[str, list[MonthUse]]


class Owners:
    """Which household a stored row belongs to: by its metered meters, or by imported ids."""

    def __init__(self, homes: HouseholdRegistry, households: Iterable[Household]) -> None:
        self.metered: dict[MeterKey, str] = {}
        self.ids: set[str] = set()
        self.registered = homes.households  # every id: the longest prefix may be another's
        for h in households:
            self.ids.add(h.id)
            for key in homes.meters_of(h):
                self.metered[key] = h.id

    def of(self, site: str, meter: str) -> str | None:
        owner = self.metered.get((site, meter)) or self.metered.get((site, None))
        if owner is not None:
            return owner
        # An imported meter `<hh>-<utility>...`: the longest registered id that prefixes it
        # (ids may themselves contain '-', e.g. `pungam-101-1203`), ours only if it is one
        # of these households (`a-1-gas` is household a-1's even when a query asks for a).
        head = meter
        while "-" in head:
            head = head.rpartition("-")[0]
            if head in self.registered or head in self.ids:
                return head if head in self.ids else None
        return None

    def condition(self) -> str:
        """InfluxQL: any of these households' metered or imported meters."""
        parts = []
        for site, meter in sorted(self.metered, key=lambda k: (k[0], k[1] or "")):
            site_is = tag_eq("site", site)
            parts.append(site_is if meter is None else f"({site_is} AND {tag_eq('meter', meter)})")
        # Identifiers are [a-z0-9._-]: only '.' needs escaping in a regex, '/' never occurs.
        prefixes = "|".join(re.escape(i).replace("/", r"\/") for i in sorted(self.ids))
        parts.append(f'"meter" =~ /^({prefixes})-/')
        return " OR ".join(parts)


def precedence(rows: Iterable[Row]) -> UtilityMonths:
    """Per utility and month the best source's rows summed (metered > interval > bill)."""
    by: dict[tuple[str, dt.date, str], list[Row]] = defaultdict(list)
    for r in rows:
        if r.source not in SOURCES:
            continue  # a source this reader does not know ranks nowhere
        by[(r.utility, r.month, r.source)].append(r)
    best: dict[tuple[str, dt.date], str] = {}
    for utility, month, source in by:
        current = best.get((utility, month))
        if current is None or SOURCES.index(source) < SOURCES.index(current):
            best[(utility, month)] = source
    out: UtilityMonths = defaultdict(list)
    for (utility, month), source in sorted(best.items()):
        superseded = superseded_registers(r.meter for r in by[(utility, month, source)])
        chosen = [r for r in by[(utility, month, source)] if r.meter not in superseded]
        out[utility].append(
            MonthUse(
                month,
                sum(r.consumption for r in chosen),
                source,
                any(r.apportioned for r in chosen),
            )
        )
    return dict(out)


def _row(r: Mapping[str, object]) -> Row | None:
    if r.get("consumption") is None:
        return None
    month = from_ms(int(r["time"])).date().replace(day=1)  # type: ignore[arg-type]
    return Row(
        str(r["site"]),
        str(r["meter"]),
        str(r["utility"]),
        str(r.get(TAG_SOURCE) or ""),
        month,
        float(r["consumption"]),  # type: ignore[arg-type]
        bool(r.get(FIELD_APPORTIONED) or 0),
    )


def months_of(
    store: PrivateStore,
    homes: HouseholdRegistry,
    households: list[Household],
    start: dt.datetime,
    end: dt.datetime,
    per_query: int = HOUSEHOLDS_PER_QUERY,
) -> dict[str, UtilityMonths]:
    """Each household's use per utility and KST month in [start, end), sources ranked;
    `per_query` households per InfluxDB query."""
    rows: dict[str, list[Row]] = defaultdict(list)
    for i in range(0, len(households), per_query):
        owners = Owners(homes, households[i : i + per_query])
        found = store.rows(
            f"SELECT consumption, {FIELD_APPORTIONED} FROM {rollup_from(METER_CONSUMPTION_1MO)} "
            f"WHERE ({owners.condition()}) AND {time_window(ms(start), ms(end))} "
            f"GROUP BY site, meter, utility, {TAG_SOURCE}"
        )
        for raw in found:
            row = _row(raw)
            owner = owners.of(row.site, row.meter) if row else None
            if row is not None and owner is not None:
                rows[owner].append(row)
    return {h.id: precedence(rows.get(h.id, [])) for h in households}
