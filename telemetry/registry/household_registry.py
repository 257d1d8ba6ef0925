"""The loaded households and programmes, with the look-ups the API needs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from telemetry.registry.households import Enrolment, Household, Programme
from telemetry.registry.sites import Site, SiteKind

# (site, meter); meter None: every meter of the site (a household's own site).
MeterKey = tuple[str, str | None]


@dataclass(frozen=True)
class HouseholdRegistry:
    """Programmes and households by id; where each household lives and what it reads."""

    programmes: Mapping[str, Programme] = field(default_factory=dict)
    households: Mapping[str, Household] = field(default_factory=dict)
    sites: Mapping[str, Site] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        own = {h.site: h.id for h in self.households.values() if self._own_site(h)}
        object.__setattr__(self, "_by_site", own)

    def _own_site(self, h: Household) -> bool:
        site = self.sites.get(h.site) if h.site else None
        return site is not None and site.kind is SiteKind.HOUSEHOLD

    def of_site(self, site_id: str) -> Household | None:
        """The household whose own (kind `household`) site this is."""
        hid = self._by_site.get(site_id)  # type: ignore[attr-defined]
        return self.households[hid] if hid else None

    def dong_of(self, h: Household) -> str:
        return h.dong if h.dong else self.sites[h.site].dong  # type: ignore[index]

    def cell_of(self, h: Household) -> tuple[str, str]:
        """The comparison cell: (dong, building type)."""
        return self.dong_of(h), h.building_type.value

    def meters_of(self, h: Household) -> list[MeterKey]:
        if h.meters is None:
            return [(h.site, None)] if h.site and self._own_site(h) else []
        return [_meter_key(ref, h.site) for ref in h.meters]

    def enrolled_in(self, programme_id: str) -> list[Household]:
        return [
            h
            for h in self.households.values()
            if any(e.programme == programme_id for e in h.enrolments)
        ]

    def enrolment_on(self, h: Household, day: dt.date) -> Enrolment | None:
        """The latest enrolment that has started by `day` and not ended before it."""
        open_ = [e for e in h.enrolments if e.covers(day)]
        return max(open_, key=lambda e: e.start) if open_ else None


def _meter_key(ref: str, own_site: str | None) -> MeterKey:
    site, sep, meter = ref.rpartition("/")
    return (site, meter) if sep else (own_site or "", ref)
