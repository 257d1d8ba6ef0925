"""config/settings.yaml, read as strictly as the registry: every key known, no secrets.

The file holds the shared settings at the top and each component's own knobs
in its section (`collector:`, `rollup:`, `edge_agent:`, `api:`). A component
checks the top level and its own section key by key; the other sections must
be mappings and are checked by the component that reads them.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated, Any, get_args

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError, create_model
from pydantic.fields import FieldInfo

from telemetry.config.errors import ConfigError, ConfigIssue
from telemetry.config.messages import Message, message
from telemetry.config.yaml_lines import LocatedYaml
from telemetry.config.yaml_model import (
    Removed,
    pydantic_issues,
    read_mapping,
    removed_issues,
    version_issues,
)
from telemetry.mqtt_url import parse_mqtt_url

SECTIONS = ("collector", "rollup", "edge_agent", "api")
# Version 2 put each component's knobs in its section and gave every duration
# the `_s` suffix (flags keep their names; see docs/DECISIONS.md).
VERSION = 2
_RENAMED = {
    "flush_interval": "flush_interval_s",
    "stats_interval": "stats_interval_s",
    "shutdown_grace": "shutdown_grace_s",
    "session_expiry": "session_expiry_s",
}
REMOVED: dict[tuple[str | int, ...], Removed] = {
    **{(old,): Removed(2, f"collector.{new}") for old, new in _RENAMED.items()},
    **{("collector", old): Removed(2, f"collector.{new}") for old, new in _RENAMED.items()},
}


class SecretInConfigError(ConfigError):
    """A token or password in a config file; they come from the environment only."""


def read_settings_file(
    path: Path, settings_cls: type[BaseModel], base: type[BaseModel], section: str | None
) -> dict:
    """The values `settings_cls` takes from `path`: shared keys and its own section.

    `base` is the shared settings class: its fields go at the top level, the
    rest of `settings_cls`'s in `section`. It is passed in, not imported, so the
    settings module can read this file without this module importing it back.
    """
    located = read_mapping(path)
    secrets = _secret_issues(located, path, settings_cls, section)
    issues = (
        version_issues(located, path, VERSION)
        + removed_issues(located, path, REMOVED)
        + secrets
        + _moved_issues(located, path, settings_cls, base, section)
    )
    data = _strip(located.data, {i.field for i in issues})
    try:
        _file_model(settings_cls, base, section).model_validate(data)
    except ValidationError as exc:
        issues += pydantic_issues(exc, LocatedYaml(data, located.lines), path)
    if issues:
        raise (SecretInConfigError if secrets else ConfigError)(issues)
    values = {k: v for k, v in data.items() if k != "version" and k not in SECTIONS}
    return values | (data.get(section) or {} if section else {})


def secret_fields(settings_cls: type[BaseModel]) -> list[str]:
    return [n for n, f in settings_cls.model_fields.items() if _is_secret(f)]


def _secret_issues(
    located: LocatedYaml, path: Path, settings_cls: type[BaseModel], section: str | None
) -> list[ConfigIssue]:
    issues = []
    scopes: list[tuple[str, ...]] = [()] + ([(section,)] if section else [])
    for scope in scopes:
        mapping = located.data.get(scope[0]) if scope else located.data
        for name in secret_fields(settings_cls):
            if isinstance(mapping, dict) and name in mapping:
                text = message("secret_in_file", env=f"ENERGY_{name.upper()}")
                issues.append(_issue(path, located, scope + (name,), text))
    url = located.data.get("mqtt_url")
    if isinstance(url, str) and "@" in url and _password_in(url):
        text = message("secret_in_file", env="ENERGY_MQTT_PASSWORD")
        said = Message(text.id, f"holds a password; {text.text}")
        issues.append(_issue(path, located, ("mqtt_url",), said))
    return issues


def _moved_issues(
    located: LocatedYaml,
    path: Path,
    settings_cls: type[BaseModel],
    base: type[BaseModel],
    section: str | None,
) -> list[ConfigIssue]:
    """This component's own knobs at the top level, where version 1 kept them."""
    if not section:
        return []
    own = _own_fields(settings_cls, base)
    return [
        _issue(
            path,
            located,
            (key,),
            message("removed_key", key=key, version=2, use=f"{section}.{key}"),
        )
        for key in located.data
        if key in own and (key,) not in REMOVED
    ]


@cache
def _file_model(
    settings_cls: type[BaseModel], base: type[BaseModel], section: str | None
) -> type[BaseModel]:
    strict = ConfigDict(extra="forbid")
    shared = {n: _optional(f) for n, f in base.model_fields.items() if not _is_secret(f)}
    own = {n: _optional(f) for n, f in _own_fields(settings_cls, base).items() if not _is_secret(f)}
    own_model = create_model(f"{settings_cls.__name__}Section", __config__=strict, **own)
    sections: dict[str, Any] = {
        name: ((own_model if name == section else dict[str, Any]) | None, None) for name in SECTIONS
    }
    return create_model(
        "SettingsFile", __config__=strict, version=(int | None, None), **shared, **sections
    )


def _own_fields(settings_cls: type[BaseModel], base: type[BaseModel]) -> dict[str, FieldInfo]:
    """The fields `settings_cls` adds to the shared ones of `base`."""
    return {n: f for n, f in settings_cls.model_fields.items() if n not in base.model_fields}


def _optional(info: FieldInfo) -> tuple[Any, None]:
    kind = Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
    return (kind | None, None)


def _is_secret(info: FieldInfo) -> bool:
    return info.annotation is SecretStr or SecretStr in get_args(info.annotation)


def _password_in(url: str) -> bool:
    try:
        return bool(parse_mqtt_url(url).password)
    except ValueError:
        return False  # a bad URL is reported by the settings themselves


def _strip(data: dict, fields: set[str]) -> dict:
    """`data` without the keys already reported (dotted paths, one level deep)."""
    out = {k: v for k, v in data.items() if k not in fields}
    for name in SECTIONS:
        if isinstance(out.get(name), dict):
            out[name] = {k: v for k, v in out[name].items() if f"{name}.{k}" not in fields}
    return out


def _issue(
    path: Path, located: LocatedYaml, key_path: tuple[str, ...], said: Message
) -> ConfigIssue:
    return ConfigIssue.of(path, located.line_of(key_path), ".".join(key_path), said)
