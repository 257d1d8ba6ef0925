"""Groups (district × dong × building type, each possibly `all`) and the privacy rule."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from telemetry.influx_schema import GROUP_ALL, TAG_BUILDING_TYPE, TAG_DISTRICT, TAG_DONG
from telemetry.registry import Registry


class Group(NamedTuple):
    """A tuple: the key of every cell and book, hashed and compared in C (a dataclass's
    hash, in Python, was a tenth of a pass at city scale)."""

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
    simulated: bool = False  # a simulated site (registry `simulated`)
    _groups: tuple[Group, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Made once: every counter figure a pass sets goes to the site's groups.
        object.__setattr__(self, "_groups", _groups_of(self))

    def groups(self) -> tuple[Group, ...]:
        """The six groups a site belongs to.

        A dong lies in exactly one district, so (all, dong, x) would repeat
        (district, dong, x); the dong level is written with its district only.
        The third is the finest, (district, dong, building type): the others are
        sums of finest groups (aggregate.py relies on both).
        """
        return self._groups


def _groups_of(info: SiteInfo) -> tuple[Group, ...]:
    out: list[Group] = []
    for bt in (info.building_type, GROUP_ALL):
        out.append(Group(GROUP_ALL, GROUP_ALL, bt))
        out.append(Group(info.district, GROUP_ALL, bt))
        out.append(Group(info.district, info.dong, bt))
    return tuple(out)


def coarser(group: Group) -> tuple[Group, ...]:
    """The five groups a finest group's figures also count in, as `_groups_of` lists a
    site's (aggregate.py sums finest cells into them)."""
    d, n, b = group
    return (
        Group(GROUP_ALL, GROUP_ALL, b),
        Group(d, GROUP_ALL, b),
        Group(GROUP_ALL, GROUP_ALL, GROUP_ALL),
        Group(d, GROUP_ALL, GROUP_ALL),
        Group(d, n, GROUP_ALL),
    )


def site_infos(registry: Registry) -> dict[str, SiteInfo]:
    return {
        s.id: SiteInfo(
            s.id, s.district, s.dong, s.building_type.value, s.households or 0, s.simulated
        )
        for s in registry.sites.values()
    }


@dataclass
class Holders:
    """Who stands behind a group's figure, as counts (kept up to date site by site).

    `key` stands for the set of sites: the XOR of their 64-bit hashes, with
    `sites`, tells two groups holding the same sites (complementary
    suppression treats them as one figure); a collision of 64-bit hashes
    between two different site sets of one period is not a practical concern.
    """

    sites: int = 0
    households: int = 0
    meters: int = 0
    plain_sites: int = 0  # sites without households
    simulated: int = 0  # holders that are simulated sites (or live under one)
    key: int = 0

    def add_site(self, info: SiteInfo, sign: int = 1) -> None:
        self.sites += sign
        self.households += sign * info.households
        self.plain_sites += sign * (info.households == 0)
        self.simulated += sign * info.simulated
        self.key ^= site_hash(info.site)

    def merge(self, other: Holders) -> None:
        """Another set of holders, disjoint from these, added in."""
        self.sites += other.sites
        self.households += other.households
        self.meters += other.meters
        self.plain_sites += other.plain_sites
        self.simulated += other.simulated
        self.key ^= other.key

    def same_sites(self) -> tuple[int, int]:
        return (self.sites, self.key)

    @property
    def count(self) -> int:
        """What the privacy rule counts: households, or sites where there are none."""
        return self.households if self.households > 0 else self.sites


@lru_cache(maxsize=1_000_000)
def site_hash(site: str) -> int:
    return int.from_bytes(hashlib.blake2b(site.encode(), digest_size=8).digest(), "big")


def is_public(holders: Holders, k: int) -> bool:
    """The privacy rule of telemetry.influx_schema: >= k households (or sites)."""
    return holders.count >= k


def suppression_reason(holders: Holders, k: int) -> str:
    unit = "households" if holders.households > 0 else "sites"
    return f"covers {holders.count} {unit}, fewer than k={k}"
