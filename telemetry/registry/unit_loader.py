"""Load the units files of the directory a sites file names (`units:`), one per site."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path

from telemetry.config.errors import ConfigError, ConfigIssue
from telemetry.config.messages import message
from telemetry.config.yaml_model import issues_at, read_mapping, validate_located, version_issues
from telemetry.registry.sites import Site, SiteKind
from telemetry.registry.units import (
    APARTMENT_UNIT,
    VERSION,
    SiteUnits,
    UnitKind,
    UnitsFile,
    clashes,
)
from telemetry.registry.validators import Problem

KIND_OF_SITE = {
    UnitKind.APARTMENT: SiteKind.APARTMENT_COMPLEX,
    UnitKind.TENANT: SiteKind.INDUSTRIAL_COMPLEX,
}
_APARTMENT = re.compile(APARTMENT_UNIT)


def load_units(directory: Path, sites: Mapping[str, Site]) -> dict[str, SiteUnits]:
    """Every `<site>.yaml` of the directory, checked against the sites; ConfigError lists
    every mistake with its file and line."""
    if not directory.is_dir():
        said = message("units_dir_missing", path=directory)
        raise ConfigError([ConfigIssue.of(directory, None, "units", said)])
    out: dict[str, SiteUnits] = {}
    issues: list[ConfigIssue] = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            located = read_mapping(path)
            found = version_issues(located, path, VERSION)
            if found:
                raise ConfigError(found)
            located.data = {k: v for k, v in located.data.items() if k != "version"}
            parsed = validate_located(UnitsFile, located, path)
        except ConfigError as exc:
            issues.extend(exc.issues)
            continue
        problems = list(check_units(parsed, path.stem, sites))
        issues.extend(issues_at(path, located, problems))
        if not problems:
            out[parsed.site] = SiteUnits(parsed.site, parsed.kind, tuple(parsed.units))
    if issues:
        raise ConfigError(issues)
    return out


def check_units(units: UnitsFile, stem: str, sites: Mapping[str, Site]) -> Iterator[Problem]:
    if units.site != stem:
        yield ("site",), message("units_file_name", site=units.site, stem=stem)
    site = sites.get(units.site)
    if site is None:
        yield ("site",), message("unknown_site", site=units.site)
    elif site.kind is not KIND_OF_SITE[units.kind]:
        said = message("units_site_kind", kind=units.kind.value, site=units.site,
                       site_kind=site.kind.value, wanted=KIND_OF_SITE[units.kind].value)  # fmt: skip
        yield ("kind",), said
    if units.kind is UnitKind.APARTMENT:
        for index, unit in enumerate(units.units):
            if not _APARTMENT.match(unit):
                yield ("units", index), message("apartment_unit", unit=unit)
    for index, earlier in clashes(units.units):
        said = message("duplicate_unit", unit=units.units[index], other=earlier)
        yield ("units", index), said
