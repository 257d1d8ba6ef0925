"""Load the programmes and households files that a sites file names."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from telemetry.config.errors import ConfigError, ConfigIssue
from telemetry.config.messages import message
from telemetry.config.yaml_model import issues_at, read_mapping, validate_located, version_issues
from telemetry.registry.geography import Geography
from telemetry.registry.household_checks import check_households, check_programmes
from telemetry.registry.household_registry import HouseholdRegistry
from telemetry.registry.households import HouseholdsFile, ProgrammesFile
from telemetry.registry.sites import SitesFile
from telemetry.registry.units import SiteUnits
from telemetry.registry.validators import Problem

VERSION = 1
M = TypeVar("M", bound=BaseModel)


def load_households(
    sites_path: Path,
    located_sites_line: int | None,
    sites: SitesFile,
    geography: Geography,
    units: Mapping[str, SiteUnits] | None = None,
) -> HouseholdRegistry:
    """The files named by `programmes:` and `households:` (relative to the sites file)."""
    by_site = {s.id: s for s in sites.sites}
    if sites.programmes is None and sites.households is None:
        return HouseholdRegistry(sites=by_site)
    if sites.programmes is None:
        said = message("households_without_programmes")
        raise ConfigError([ConfigIssue.of(sites_path, located_sites_line, "households", said)])
    programmes_path = _beside(sites_path, sites.programmes)
    programmes_file = _read(programmes_path, ProgrammesFile, check_programmes)
    programmes = {p.id: p for p in programmes_file.programmes}
    if sites.households is None:
        return HouseholdRegistry(programmes=programmes, sites=by_site)
    path = _beside(sites_path, sites.households)
    households_file = _read(
        path,
        HouseholdsFile,
        lambda f: check_households(f, programmes, by_site, geography, units or {}),
    )
    households = {h.id: h for h in households_file.households}
    return HouseholdRegistry(programmes, households, by_site)


def _read(path: Path, model: type[M], check: Callable[[M], Iterable[Problem]]) -> M:
    located = read_mapping(path)
    issues = version_issues(located, path, VERSION)
    if issues:
        raise ConfigError(issues)
    data = {k: v for k, v in located.data.items() if k != "version"}
    located.data = data
    parsed = validate_located(model, located, path)
    issues = issues_at(path, located, check(parsed))
    if issues:
        raise ConfigError(issues)
    return parsed


def _beside(sites_path: Path, name: str) -> Path:
    declared = Path(name)
    return declared if declared.is_absolute() else sites_path.parent / declared
