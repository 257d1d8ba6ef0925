"""Reference data: districts, dongs, building types, and why a group may be withheld.

Built from configuration only (config/geo and the sites file): it names the
groups and knows how many households or sites are registered behind each,
which is what lets a public answer say "suppressed" with its reason without
ever reading private measurements.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from telemetry.influx_schema import GROUP_ALL
from telemetry.registry import BuildingType, Geography, Registry

BUILDING_TYPE_LABELS = {
    "apartment": ("아파트", "Apartment"),
    "detached_house": ("단독주택", "Detached house"),
    "industrial": ("산업", "Industrial"),
    "commercial": ("상업", "Commercial"),
    "public": ("공공", "Public building"),
    "education": ("교육", "Education"),
}


@dataclass
class Registered:
    sites: set[str] = field(default_factory=set)
    households: int = 0

    @property
    def count(self) -> int:
        return self.households if self.households > 0 else len(self.sites)


class Reference:
    def __init__(self, geography: Geography, registry: Registry | None, k: int) -> None:
        self.geo = geography
        self.registry = registry
        self.k = k
        self._registered: dict[tuple[str, str, str], Registered] = {}
        for site in registry.sites.values() if registry else []:
            for d, dong in (
                (GROUP_ALL, GROUP_ALL),
                (site.district, GROUP_ALL),
                (site.district, site.dong),
            ):
                for bt in (site.building_type.value, GROUP_ALL):
                    reg = self._registered.setdefault((d, dong, bt), Registered())
                    reg.sites.add(site.id)
                    reg.households += site.households or 0

    def simulated(self) -> tuple[int, int] | None:
        """(simulated sites, sites) of the registry when any site is simulated, else None:
        pages then say that their figures rest on simulated meters."""
        sites = list(self.registry.sites.values()) if self.registry else []
        simulated = sum(1 for s in sites if s.simulated)
        return (simulated, len(sites)) if simulated else None

    def is_district(self, code: str) -> bool:
        return code in self.geo.districts

    def is_dong(self, district: str, dong: str) -> bool:
        d = self.geo.dongs.get(dong)
        return d is not None and d.district == district

    @staticmethod
    def building_types() -> list[str]:
        return [b.value for b in BuildingType]

    def withheld_reason(self, district: str, dong: str, building_type: str) -> tuple[str, str]:
        """(status, reason) for a group with no public figure."""
        reg = self._registered.get((district, dong, building_type))
        if reg is None or not reg.sites:
            return "no_data", "no metered sites in this group"
        if reg.count < self.k:
            unit = "households" if reg.households > 0 else "sites"
            return (
                "suppressed",
                f"privacy rule: this group covers fewer than k={self.k} {unit}, so its "
                "figures are withheld and no household or site can be picked out",
            )
        return (
            "no_data",
            f"no published figure: no readings for this period, or fewer than k={self.k} "
            "households or sites reported",
        )

    def complementary_reason(self) -> tuple[str, str]:
        """(status, reason) for a group the rollup withheld by complementary suppression."""
        return (
            "suppressed",
            "withheld so that a smaller group cannot be derived by subtraction "
            f"(privacy rule, k={self.k})",
        )

    def dominated_reason(self) -> tuple[str, str]:
        """(status, reason) for a group withheld because one site dominates it."""
        return (
            "suppressed",
            "one site dominates this group: its figure would reveal that site's use "
            "(privacy rule: dominance)",
        )

    def missing_reason(
        self, district: str, dong: str, building_type: str, marked: bool | str | None
    ) -> tuple[str, str]:
        """(status, reason) for a group without a public figure; `marked`: the rollup's
        withheld marker for it, by its reason (`dominated`, `complementary`; True for
        complementary); a group below k never has one."""
        status, reason = self.withheld_reason(district, dong, building_type)
        if status == "no_data" and marked:
            if marked == "dominated":
                return self.dominated_reason()
            return self.complementary_reason()
        return status, reason

    def building_types_in(self, district: str, dong: str) -> list[str]:
        """The building types with a registered site in an area (dong may be `all`)."""
        return sorted(
            bt for d, dn, bt in self._registered if (d, dn) == (district, dong) and bt != GROUP_ALL
        )

    def registered_dongs(self) -> list[tuple[str, str]]:
        """(district, dong) of every dong with a registered site."""
        return sorted(
            {(d, dong) for d, dong, bt in self._registered if dong != GROUP_ALL and bt == GROUP_ALL}
        )
