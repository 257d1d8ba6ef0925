"""Where an imported meter's figures count, and which source wins.

Imported readings are stored under the importer agent's site, with meter ids
`<household>-<utility>[-N]` (Green Button) or `<household>-<utility>-bill`
(bills). Their figures belong to the household, not to the importer's site:
a household's meters named in the registry (`site/meter`), or else the id's
prefix when it is a registered household, give the household; it counts in
the groups of its dong × building type (the district of its site, or of its
dong when it is standalone) as a holder of its own, one household.

Precedence (nothing counted twice): per site, utility and period, a site's
own metered counters count when it has any in the period (an apartment
complex's bulk meter already holds its households' imports), and the
imports of the households living there count only otherwise (the site is
their `gate`); per household, its interval meters count when it has any in
the period, else its bills. An import meter of no registered household
counts as a household of its own under the importer's site's tags.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from collector.rollup.groups import SiteInfo
from telemetry.fields import Utility
from telemetry.influx_schema import (
    BILL_METER_SUFFIX,
    REGISTER_METER_SUFFIX,
    SOURCE_BILL,
    SOURCE_INTERVAL,
)
from telemetry.registry import Registry

HOLDER_PREFIX = "household:"  # a household's holder id in group cells (never a site id)
_SUFFIX = re.compile(
    r"^(?P<household>.+)-(?:"
    + "|".join(u.value for u in Utility)
    + r")(?:-\d+)?(?:"
    + re.escape(REGISTER_METER_SUFFIX)
    + ")?$"
)


@dataclass(frozen=True, slots=True)
class Place:
    """Where one imported meter counts."""

    info: SiteInfo  # the holder: one household, with its district, dong, building type
    gate: str | None  # the site whose own counters take precedence over this household's
    source: str  # SOURCE_INTERVAL or SOURCE_BILL


def source_of(meter: str) -> str:
    return SOURCE_BILL if meter.endswith(BILL_METER_SUFFIX) else SOURCE_INTERVAL


def household_key(meter: str) -> str:
    """The household an import meter id names by convention (the id itself otherwise)."""
    base = meter.removesuffix(BILL_METER_SUFFIX)
    found = _SUFFIX.match(base)
    return found.group("household") if found else base


class Placement:
    def __init__(self, sites: dict[str, SiteInfo], registry: Registry | None = None) -> None:
        self.sites = sites
        self._named: dict[tuple[str, str], str] = {}  # (site, meter) → household
        self._homes: dict[str, tuple[SiteInfo, str | None]] = {}  # household → (holder, gate)
        self._edge: set[tuple[str, str]] = set()  # (site, meter) our edge agents poll
        if registry is None:
            return
        self._edge = {
            (s.id, m.id) for s in registry.sites.values() for a in s.agents for m in a.meters
        }
        hr = registry.households
        for h in hr.households.values():
            for site, meter in hr.meters_of(h):
                if meter is not None:
                    self._named[(site, meter)] = h.id
            dong = hr.dong_of(h)
            home = sites.get(h.site) if h.site else None
            known = registry.geography.dongs.get(dong)
            district = home.district if home else known.district if known else dong[:5]
            simulated = bool(home and home.simulated)
            holder = SiteInfo(
                HOLDER_PREFIX + h.id, district, dong, h.building_type.value, 1, simulated
            )
            self._homes[h.id] = (holder, h.site if home else None)

    def imported(self, site: str, meter: str) -> Place | None:
        """The place of an import meter stored under `site` (None: unknown site)."""
        household = self._named.get((site, meter)) or household_key(meter)
        home = self._homes.get(household)
        raw = self.sites.get(site)
        if home is not None:
            return Place(self._holder(home[0], site), home[1], source_of(meter))
        if raw is None:
            return None
        holder = SiteInfo(
            f"{HOLDER_PREFIX}{site}/{household}", raw.district, raw.dong, raw.building_type, 1,
            raw.simulated,
        )  # fmt: skip
        return Place(holder, None, source_of(meter))

    def counter(self, site: str, meter: str) -> Place | None:
        """The place of a counter meter that is an import of a registered household (a
        Green Button bulk register, `<household>-<utility>[-N]-reg` (before: without
        `-reg`) under an importer's site): its household's, source `interval`. None: a counter of the site's own
        (polled by an edge agent, or named like no registered household's import)."""
        if (site, meter) in self._edge or meter.endswith(BILL_METER_SUFFIX):
            return None
        found = _SUFFIX.match(meter)
        home = self._homes.get(found.group("household")) if found else None
        if home is None:
            return None
        return Place(self._holder(home[0], site), home[1], SOURCE_INTERVAL)

    def _holder(self, holder: SiteInfo, importer_site: str) -> SiteInfo:
        """A registered household's holder, marked simulated when a simulated site's
        importer stored its readings (the demo's households)."""
        raw = self.sites.get(importer_site)
        if raw is not None and raw.simulated and not holder.simulated:
            return replace(holder, simulated=True)
        return holder

    def fingerprint_text(self) -> str:
        return repr((sorted(self._named.items()), sorted(self._homes.items()), sorted(self._edge)))
