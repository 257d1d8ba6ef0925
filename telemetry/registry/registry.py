"""The loaded registry: sites, agents, meters and profiles, with look-ups."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from telemetry.registry.geography import Geography
from telemetry.registry.household_registry import HouseholdRegistry
from telemetry.registry.profiles import Profile
from telemetry.registry.sites import Agent, Meter, Site, SitesFile
from telemetry.registry.units import SiteUnits


@dataclass(frozen=True, slots=True)
class SiteTags:
    """InfluxDB tags of a site: from the registry, never from the wire."""

    site: str
    district: str
    dong: str
    building_type: str

    def as_dict(self) -> dict[str, str]:
        return {
            "site": self.site,
            "district": self.district,
            "dong": self.dong,
            "building_type": self.building_type,
        }


class Registry:
    """Sites by id, agents by id (unique across sites), profiles by id, households."""

    def __init__(
        self,
        source: Path,
        sites: SitesFile,
        profiles: dict[str, Profile],
        geography: Geography,
        households: HouseholdRegistry | None = None,
        units: Mapping[str, SiteUnits] | None = None,
    ) -> None:
        self.source = source
        self.sites_file = sites
        self.profiles = profiles
        self.geography = geography
        self.sites = {s.id: s for s in sites.sites}
        self.households = households or HouseholdRegistry(sites=self.sites)
        self.units: Mapping[str, SiteUnits] = units or {}
        self.agents = {a.id: a for s in sites.sites for a in s.agents}
        self._agent_site = {a.id: s.id for s in sites.sites for a in s.agents}
        self._tags = {
            s.id: SiteTags(s.id, s.district, s.dong, s.building_type.value) for s in sites.sites
        }

    def resolve_unit(self, site: str, spelling: str) -> str:
        """The unit id a spelling names at the site (UnitNotFound, with the closest units, or
        KeyError when the site lists no units)."""
        return self.units[site].resolve(spelling)

    def site_of_agent(self, agent_id: str) -> Site:
        return self.sites[self._agent_site[agent_id]]

    def knows(self, site_id: str, agent_id: str) -> bool:
        """True when the registry has this agent under this site."""
        return self._agent_site.get(agent_id) == site_id

    def tags(self, site_id: str) -> SiteTags:
        return self._tags[site_id]

    def meters(self) -> list[tuple[Site, Agent, Meter]]:
        return [(s, a, m) for s in self.sites.values() for a in s.agents for m in a.meters]

    def meters_of(self, agent_id: str) -> list[Meter]:
        return list(self.agents[agent_id].meters)

    def profile_of(self, meter: Meter) -> Profile:
        return self.profiles[meter.profile]
