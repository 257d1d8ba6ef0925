"""Load and check sites and profiles from YAML, with file and line in every error."""

from __future__ import annotations

from pathlib import Path

from telemetry.config.errors import ConfigError, ConfigIssue
from telemetry.config.messages import message
from telemetry.config.yaml_model import issues_at, read_mapping, validate_located
from telemetry.paths import config_dir, resolve_config_path
from telemetry.registry.geography import Geography, load_geography
from telemetry.registry.household_loader import load_households
from telemetry.registry.profiles import Profile
from telemetry.registry.registry import Registry
from telemetry.registry.sites import SitesFile
from telemetry.registry.unit_loader import load_units
from telemetry.registry.validators import check_profile, check_sites


def load_registry(
    sites_path: Path | str, *, profiles_dir: Path | None = None, geography: Geography | None = None
) -> Registry:
    """Load a sites file, the profiles it uses and the households it names; raise
    ConfigError listing every mistake."""
    path = resolve_config_path(sites_path)
    located = read_mapping(path)
    sites = validate_located(SitesFile, located, path)
    directory = profiles_dir or _profiles_dir(path, sites)
    needed = {m.profile for s in sites.sites for a in s.agents for m in a.meters}
    profiles = load_profiles(directory) if needed else {}
    geography = geography or load_geography()
    issues = issues_at(path, located, check_sites(sites, profiles, geography))
    if issues:
        raise ConfigError(issues)
    units = (
        load_units(_beside(path, sites.units), {s.id: s for s in sites.sites})
        if sites.units
        else {}
    )
    households = load_households(path, located.line_of(("households",)), sites, geography, units)
    return Registry(
        source=path,
        sites=sites,
        profiles=profiles,
        geography=geography,
        households=households,
        units=units,
    )


def load_profiles(directory: Path) -> dict[str, Profile]:
    """Every `*.yaml` profile in `directory`, checked; ids must be unique."""
    profiles: dict[str, Profile] = {}
    origin: dict[str, Path] = {}
    issues: list[ConfigIssue] = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            located = read_mapping(path)
            profile = validate_located(Profile, located, path)
        except ConfigError as exc:
            issues.extend(exc.issues)
            continue
        issues.extend(issues_at(path, located, check_profile(profile)))
        if profile.id in profiles:
            issues.append(
                ConfigIssue.of(
                    path,
                    located.line_of(("id",)),
                    "id",
                    message("duplicate_profile", id=profile.id, other=origin[profile.id]),
                )
            )
            continue
        profiles[profile.id] = profile
        origin[profile.id] = path
    if issues:
        raise ConfigError(issues)
    return profiles


def _beside(sites_path: Path, name: str) -> Path:
    declared = Path(name)
    return declared if declared.is_absolute() else sites_path.parent / declared


def _profiles_dir(sites_path: Path, sites: SitesFile) -> Path:
    if sites.profiles_dir:
        declared = Path(sites.profiles_dir)
        return declared if declared.is_absolute() else sites_path.parent / declared
    return config_dir() / "profiles"
