"""Load and check sites and profiles from YAML, with file and line in every error."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from telemetry.paths import config_dir, resolve_config_path
from telemetry.registry.errors import ConfigError, ConfigIssue, format_path
from telemetry.registry.geography import Geography, load_geography
from telemetry.registry.messages import message, schema_message
from telemetry.registry.profiles import Profile
from telemetry.registry.registry import Registry
from telemetry.registry.sites import SitesFile
from telemetry.registry.validators import Problem, check_profile, check_sites
from telemetry.registry.yaml_lines import LocatedYaml, YamlSyntaxError, load_located

M = TypeVar("M", bound=BaseModel)

# Discriminator tags pydantic puts into error locations; a reader never wrote them.
_UNION_TAGS = {"tcp", "rtu"}


def load_registry(
    sites_path: Path | str, *, profiles_dir: Path | None = None, geography: Geography | None = None
) -> Registry:
    """Load a sites file and the profiles it uses; raise ConfigError listing every mistake."""
    path = resolve_config_path(sites_path)
    located = _read(path)
    sites = _validate(SitesFile, located, path)
    directory = profiles_dir or _profiles_dir(path, sites)
    needed = {m.profile for s in sites.sites for a in s.agents for m in a.meters}
    profiles = load_profiles(directory) if needed else {}
    geography = geography or load_geography()
    issues = _issues(path, located, check_sites(sites, profiles, geography))
    if issues:
        raise ConfigError(issues)
    return Registry(source=path, sites=sites, profiles=profiles, geography=geography)


def load_profiles(directory: Path) -> dict[str, Profile]:
    """Every `*.yaml` profile in `directory`, checked; ids must be unique."""
    profiles: dict[str, Profile] = {}
    origin: dict[str, Path] = {}
    issues: list[ConfigIssue] = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            located = _read(path)
            profile = _validate(Profile, located, path)
        except ConfigError as exc:
            issues.extend(exc.issues)
            continue
        issues.extend(_issues(path, located, check_profile(profile)))
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


def _profiles_dir(sites_path: Path, sites: SitesFile) -> Path:
    if sites.profiles_dir:
        declared = Path(sites.profiles_dir)
        return declared if declared.is_absolute() else sites_path.parent / declared
    return config_dir() / "profiles"


def _read(path: Path) -> LocatedYaml:
    if not path.is_file():
        raise ConfigError([ConfigIssue.of(path, None, "", message("file_missing"))])
    try:
        located = load_located(path)
    except YamlSyntaxError as exc:
        raise ConfigError(
            [ConfigIssue.of(path, exc.line, "", message("yaml_syntax", detail=exc.message))]
        ) from None
    if not isinstance(located.data, dict):
        got = type(located.data).__name__ if located.data is not None else "an empty file"
        raise ConfigError([ConfigIssue.of(path, 1, "", message("yaml_not_mapping", got=got))])
    if located.duplicate_keys:
        raise ConfigError(
            ConfigIssue.of(
                path, line, format_path(key_path), message("duplicate_key", key=key_path[-1])
            )
            for key_path, line in located.duplicate_keys
        )
    return located


def _validate(model: type[M], located: LocatedYaml, path: Path) -> M:
    try:
        return model.model_validate(located.data)
    except ValidationError as exc:
        raise ConfigError(_pydantic_issues(exc, located, path)) from None


def _pydantic_issues(exc: ValidationError, located: LocatedYaml, path: Path) -> list[ConfigIssue]:
    issues = []
    for error in exc.errors(include_url=False):
        loc = tuple(p for p in error["loc"] if p not in _UNION_TAGS)
        text = error["msg"]
        if error["type"] == "extra_forbidden":
            text = "unknown key (check its spelling; see the config reference in config/README.md)"
        elif error["type"] not in ("missing",) and "input" in error:
            text = f"{text} (got {_short(error['input'])})"
        said = schema_message(error["type"], text)
        issues.append(ConfigIssue.of(path, located.line_of(loc), format_path(loc), said))
    return issues


def _issues(path: Path, located: LocatedYaml, problems: Iterable[Problem]) -> list[ConfigIssue]:
    return [ConfigIssue.of(path, located.line_of(p), format_path(p), said) for p, said in problems]


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
