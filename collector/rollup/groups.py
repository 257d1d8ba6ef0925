"""Groups (district × dong × building type, each possibly `all`) and the privacy rule."""

from __future__ import annotations

from dataclasses import dataclass, field

from telemetry.influx_schema import GROUP_ALL, TAG_BUILDING_TYPE, TAG_DISTRICT, TAG_DONG
from telemetry.registry import Registry


@dataclass(frozen=True, slots=True, order=True)
class Group:
    district: str
    dong: str
    building_type: str

    def tags(self) -> dict[str, str]:
        return {
            TAG_DISTRICT: self.district,
            TAG_DONG: self.dong,
            TAG_BUILDING_TYPE: self.building_type,
        }


CITY = Group(GROUP_ALL, GROUP_ALL, GROUP_ALL)


@dataclass(frozen=True, slots=True)
class SiteInfo:
    site: str
    district: str
    dong: str
    building_type: str
    households: int

    def groups(self) -> tuple[Group, ...]:
        """The six groups a site belongs to.

        A dong lies in exactly one district, so (all, dong, x) would repeat
        (district, dong, x); the dong level is written with its district only.
        """
        out: list[Group] = []
        for bt in (self.building_type, GROUP_ALL):
            out.append(Group(GROUP_ALL, GROUP_ALL, bt))
            out.append(Group(self.district, GROUP_ALL, bt))
            out.append(Group(self.district, self.dong, bt))
        return tuple(out)


def site_infos(registry: Registry) -> dict[str, SiteInfo]:
    return {
        s.id: SiteInfo(s.id, s.district, s.dong, s.building_type.value, s.households or 0)
        for s in registry.sites.values()
    }


@dataclass
class Holders:
    """Who stands behind a group's figure: sites and their households."""

    sites: set[str] = field(default_factory=set)
    households: int = 0
    meters: int = 0
    plain_sites: set[str] = field(default_factory=set)  # sites without households

    def add(self, info: SiteInfo, meters: int = 1) -> None:
        if info.site not in self.sites:
            self.sites.add(info.site)
            self.households += info.households
            if info.households == 0:
                self.plain_sites.add(info.site)
        self.meters += meters

    @property
    def count(self) -> int:
        """What the privacy rule counts: households, or sites where there are none."""
        return self.households if self.households > 0 else len(self.sites)


def is_public(holders: Holders, k: int) -> bool:
    """The privacy rule of telemetry.influx_schema: >= k households (or sites)."""
    return holders.count >= k


def suppression_reason(holders: Holders, k: int) -> str:
    unit = "households" if holders.households > 0 else "sites"
    return f"covers {holders.count} {unit}, fewer than k={k}"
