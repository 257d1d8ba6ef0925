"""Cross-checks of programmes and households against each other and the sites.

Like validators.py: each check yields (path, message) pairs and the loader
adds the file and line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping

from telemetry.config.messages import message
from telemetry.registry.geography import Geography
from telemetry.registry.households import (
    Enrolment,
    Household,
    HouseholdsFile,
    Programme,
    ProgrammesFile,
)
from telemetry.registry.sites import Site, SiteKind
from telemetry.registry.units import SiteUnits, tokens
from telemetry.registry.validators import Problem


def check_programmes(programmes: ProgrammesFile) -> Iterator[Problem]:
    ids = [p.id for p in programmes.programmes]
    yield from _duplicates("programmes", ids, "duplicate_programme")
    for p, programme in enumerate(programmes.programmes):
        if programme.end is not None and programme.end < programme.start:
            yield (
                ("programmes", p, "end"),
                message("ends_before_start", end=programme.end, start=programme.start),
            )


def check_households(
    households: HouseholdsFile,
    programmes: Mapping[str, Programme],
    sites: Mapping[str, Site],
    geography: Geography,
    units: Mapping[str, SiteUnits] | None = None,
) -> Iterator[Problem]:
    ids = [h.id for h in households.households]
    yield from _duplicates("households", ids, "duplicate_household")
    own_site: dict[str, str] = {}
    for h, household in enumerate(households.households):
        path = ("households", h)
        yield from _check_place(path, household, sites, geography, own_site)
        yield from _check_meters(path, household, sites)
        yield from _check_unit(path, household, units or {})
        yield from _check_enrolments(path, household, programmes)


def _check_unit(
    path: tuple[str, int], household: Household, units: Mapping[str, SiteUnits]
) -> Iterator[Problem]:
    if household.moved_in and household.moved_out and household.moved_out < household.moved_in:
        said = message("ends_before_start", end=household.moved_out, start=household.moved_in)
        yield (*path, "moved_out"), said
    if household.unit is None:
        return
    for field in ("moved_in", "moved_out"):
        if getattr(household, field) is not None:
            yield (*path, field), message("dates_of_a_unit", id=household.id)
    if household.site is None:
        yield (*path, "unit"), message("unit_without_units", id=household.id,
                                       unit=household.unit, site="(none)")  # fmt: skip
        return
    listed = units.get(household.site)
    if listed is None:
        said = message("unit_without_units", id=household.id, unit=household.unit,
                       site=household.site)  # fmt: skip
        yield (*path, "unit"), said
    elif household.unit not in listed.units:
        near = listed.closest(tokens(household.unit))
        said = message("unknown_unit", unit=household.unit, site=household.site,
                       near=f" (closest: {', '.join(near)})" if near else "")  # fmt: skip
        yield (*path, "unit"), said


def _duplicates(section: str, ids: list[str], message_id: str) -> Iterator[Problem]:
    first: dict[str, int] = {}
    for index, item in enumerate(ids):
        if item in first:
            said = message(message_id, id=item, first=f"{section}[{first[item]}]")
            yield (section, index, "id"), said
        first.setdefault(item, index)


def _check_place(
    path: tuple[str | int, ...],
    household: Household,
    sites: Mapping[str, Site],
    geography: Geography,
    own_site: dict[str, str],
) -> Iterator[Problem]:
    if (household.site is None) == (household.dong is None):
        yield path, message("household_place", id=household.id)
        return
    if household.dong is not None:
        if household.dong not in geography.dongs:
            yield path + ("dong",), message("unknown_dong", code=household.dong)
        return
    site = sites.get(household.site)  # type: ignore[arg-type]
    if site is None:
        yield path + ("site",), message("unknown_site", site=household.site)
    elif site.kind is not SiteKind.HOUSEHOLD and not site.households:
        yield (
            path + ("site",),
            message("site_without_households", site=site.id, kind=site.kind.value),
        )
    elif site.kind is SiteKind.HOUSEHOLD:
        if site.id in own_site:
            yield (
                path + ("site",),
                message("site_household_taken", site=site.id, other=own_site[site.id]),
            )
        own_site.setdefault(site.id, household.id)


def _check_meters(
    path: tuple[str | int, ...], household: Household, sites: Mapping[str, Site]
) -> Iterator[Problem]:
    for m, ref in enumerate(household.meters or []):
        site, sep, _ = ref.rpartition("/")
        if not sep and household.site is None:
            yield path + ("meters", m), message("meter_without_site", ref=ref)
        elif sep and site not in sites:
            yield path + ("meters", m), message("unknown_site", site=site)


def _check_enrolments(
    path: tuple[str | int, ...], household: Household, programmes: Mapping[str, Programme]
) -> Iterator[Problem]:
    for e, enrolment in enumerate(household.enrolments):
        where = path + ("enrolments", e)
        programme = programmes.get(enrolment.programme)
        if programme is None:
            yield (
                where + ("programme",),
                message(
                    "unknown_programme",
                    id=enrolment.programme,
                    known=", ".join(sorted(programmes)) or "(none)",
                ),
            )
        elif enrolment.start < programme.start:
            yield (
                where + ("start",),
                message(
                    "enrolment_before_programme",
                    start=enrolment.start,
                    programme=programme.id,
                    opened=programme.start,
                ),
            )
        if enrolment.end is not None and enrolment.end < enrolment.start:
            yield (
                where + ("end",),
                message("ends_before_start", end=enrolment.end, start=enrolment.start),
            )
        for o, other in enumerate(household.enrolments[:e]):
            if other.programme == enrolment.programme and _overlap(other, enrolment):
                yield (
                    where + ("start",),
                    message(
                        "overlapping_enrolment",
                        programme=enrolment.programme,
                        other=f"enrolments[{o}]",
                    ),
                )


def _overlap(a: Enrolment, b: Enrolment) -> bool:
    a_end, b_end = a.end or dt.date.max, b.end or dt.date.max
    return a.start <= b_end and b.start <= a_end
