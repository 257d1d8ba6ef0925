"""Every cross-check of the configuration, in one place.

Pydantic checks each value on its own; these checks look across values (ids
that must be unique, names that must exist elsewhere, registers that must not
overlap). Each returns (path, message) pairs; the loader adds file and line.
"""

from __future__ import annotations

from collections.abc import Iterator

from telemetry.codec import is_float, order_fits, register_count
from telemetry.config.messages import Message, message
from telemetry.fields import FIELDS
from telemetry.registry.geography import Geography
from telemetry.registry.profiles import Profile
from telemetry.registry.sites import SitesFile

Problem = tuple[tuple[str | int, ...], Message]


def check_profile(profile: Profile) -> Iterator[Problem]:
    """Fields canonical, types fit, registers inside the map and not overlapping."""
    canonical = FIELDS[profile.utility]
    if profile.max_gap >= profile.max_registers_per_request:
        yield (
            ("max_gap",),
            message("request_cap", gap=profile.max_gap, cap=profile.max_registers_per_request),
        )
    seen_fields: dict[str, int] = {}
    taken: list[tuple[str, int, int, str]] = []  # table, start, end, field name
    for index, spec in enumerate(profile.fields):
        path: tuple[str | int, ...] = ("fields", index)
        width = register_count(spec.type)
        if spec.field not in canonical:
            yield (
                path + ("field",),
                message(
                    "unknown_field",
                    name=spec.field,
                    utility=profile.utility.value,
                    known=", ".join(sorted(canonical)),
                ),
            )
        elif spec.kind is not None and spec.kind != canonical[spec.field].kind:
            yield (
                path + ("kind",),
                message(
                    "kind_mismatch",
                    name=spec.field,
                    canonical=canonical[spec.field].kind.value,
                    kind=spec.kind.value,
                ),
            )
        if spec.field in seen_fields:
            yield (
                path + ("field",),
                message("duplicate_field", name=spec.field, other=seen_fields[spec.field]),
            )
        seen_fields.setdefault(spec.field, spec.address)
        if spec.count is not None and spec.count != width:
            yield (
                path + ("count",),
                message("count_mismatch", type=spec.type.value, width=width, count=spec.count),
            )
        if not order_fits(spec.type, spec.byte_order):
            yield (
                path + ("byte_order",),
                message(
                    "order_mismatch",
                    order=spec.byte_order.value,
                    type=spec.type.value,
                    bits=16 * width,
                ),
            )
        if spec.address + width > 65536:
            yield (
                path + ("address",),
                message("address_overflow", type=spec.type.value, address=spec.address),
            )
        if width > profile.max_registers_per_request:
            yield (
                path + ("type",),
                message(
                    "field_too_wide",
                    type=spec.type.value,
                    width=width,
                    cap=profile.max_registers_per_request,
                ),
            )
        if spec.scale_register is not None and is_float(spec.type):
            yield path + ("scale_register",), message("scale_register_float", type=spec.type.value)
        for table, start, end, other in taken:
            if table == spec.table and spec.address < end and start < spec.address + width:
                yield (
                    path + ("address",),
                    message(
                        "overlap",
                        start=spec.address,
                        end=spec.address + width - 1,
                        table=spec.table.value,
                        other=other,
                    ),
                )
        taken.append((spec.table, spec.address, spec.address + width, spec.field))
    for index, const in enumerate(profile.constants):
        if const.count is not None and const.count != register_count(const.type):
            yield (
                ("constants", index, "count"),
                message(
                    "count_mismatch",
                    type=const.type.value,
                    width=register_count(const.type),
                    count=const.count,
                ),
            )


def check_sites(
    sites: SitesFile, profiles: dict[str, Profile], geography: Geography
) -> Iterator[Problem]:
    yield from _check_unique_ids(sites)
    yield from _check_geography(sites, geography)
    yield from _check_meters(sites, profiles)
    yield from _check_expected_meters(sites)


def _check_expected_meters(sites: SitesFile) -> Iterator[Problem]:
    for s, site in enumerate(sites.sites):
        listed = len(site.listed_meters)
        if site.expected_meters is not None and site.expected_meters < listed:
            yield (
                ("sites", s, "expected_meters"),
                message(
                    "expected_below_listed",
                    expected=site.expected_meters,
                    listed=listed,
                    site=site.id,
                ),
            )


def _check_unique_ids(sites: SitesFile) -> Iterator[Problem]:
    site_index: dict[str, int] = {}
    agent_site: dict[str, str] = {}
    for s, site in enumerate(sites.sites):
        if site.id in site_index:
            yield (
                ("sites", s, "id"),
                message("duplicate_site", id=site.id, first=f"sites[{site_index[site.id]}]"),
            )
        site_index.setdefault(site.id, s)
        meter_ids: set[str] = set()
        for a, agent in enumerate(site.agents):
            if agent.id in agent_site:
                yield (
                    ("sites", s, "agents", a, "id"),
                    message("duplicate_agent", id=agent.id, other=agent_site[agent.id]),
                )
            agent_site.setdefault(agent.id, site.id)
            for m, meter in enumerate(agent.meters):
                if meter.id in meter_ids:
                    yield (
                        ("sites", s, "agents", a, "meters", m, "id"),
                        message("duplicate_meter", id=meter.id, site=site.id),
                    )
                meter_ids.add(meter.id)


def _check_geography(sites: SitesFile, geography: Geography) -> Iterator[Problem]:
    for s, site in enumerate(sites.sites):
        if site.district not in geography.districts:
            yield (
                ("sites", s, "district"),
                message(
                    "unknown_district",
                    code=site.district,
                    known=", ".join(f"{d.code} {d.name_ko}" for d in geography.districts.values()),
                ),
            )
        dong = geography.dongs.get(site.dong)
        if dong is None:
            yield ("sites", s, "dong"), message("unknown_dong", code=site.dong)
        elif dong.district != site.district and site.district in geography.districts:
            yield (
                ("sites", s, "dong"),
                message(
                    "dong_not_in_district",
                    code=dong.code,
                    name=dong.name_ko,
                    actual=dong.district,
                    district=site.district,
                ),
            )


def _check_meters(sites: SitesFile, profiles: dict[str, Profile]) -> Iterator[Problem]:
    addresses: dict[tuple[str, int], str] = {}
    for s, site in enumerate(sites.sites):
        for a, agent in enumerate(site.agents):
            for m, meter in enumerate(agent.meters):
                path = ("sites", s, "agents", a, "meters", m)
                profile = profiles.get(meter.profile)
                if profile is None:
                    yield (
                        path + ("profile",),
                        message(
                            "unknown_profile",
                            name=meter.profile,
                            known=", ".join(sorted(profiles)) or "(none loaded)",
                        ),
                    )
                elif profile.utility != meter.utility:
                    yield (
                        path + ("utility",),
                        message(
                            "profile_utility",
                            profile=profile.id,
                            profile_utility=profile.utility.value,
                            utility=meter.utility.value,
                        ),
                    )
                key = (meter.connection.bus, meter.connection.unit)
                if key in addresses:
                    yield (
                        path + ("connection",),
                        message(
                            "shared_address",
                            meter=f"{site.id}/{meter.id}",
                            other=addresses[key],
                            address=f"{key[0]} unit {key[1]}",
                        ),
                    )
                addresses.setdefault(key, f"{site.id}/{meter.id}")
