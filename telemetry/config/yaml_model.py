"""Read a YAML config file with its lines and validate it against a strict model.

One reader for every config file (sites, profiles, settings, API, emission
factors, geography): every mistake comes back as `file:line: field: message`,
all of them at once, and a key that was removed is named with its successor
rather than reported as unknown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from telemetry.config.errors import ConfigError, ConfigIssue, format_path
from telemetry.config.messages import Message, message, schema_message
from telemetry.config.yaml_lines import (
    LocatedYaml,
    Path_,
    YamlSyntaxError,
    collection_paused,
    load_located,
)

M = TypeVar("M", bound=BaseModel)

# Tags pydantic puts into error locations (union discriminators, "a dict key is
# wrong"); a reader never wrote them.
_NOT_WRITTEN = {"tcp", "rtu", "[key]"}


@dataclass(frozen=True, slots=True)
class Removed:
    """A key a config file may no longer hold: when it went and what replaces it."""

    version: int
    use: str


def read_mapping(path: Path) -> LocatedYaml:
    """A YAML file whose top is a mapping, with lines; ConfigError otherwise."""
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


def validate_located(model: type[M], located: LocatedYaml, path: Path) -> M:
    try:
        with collection_paused():
            return model.model_validate(located.data)
    except ValidationError as exc:
        raise ConfigError(pydantic_issues(exc, located, path)) from None


def load_model(
    path: Path,
    model: type[M],
    *,
    version: int = 1,
    removed: Mapping[Path_, Removed] | None = None,
) -> M:
    """A versioned settings file: `version` (optional, at most `version`), no removed keys."""
    located = read_mapping(path)
    issues = version_issues(located, path, version) + removed_issues(located, path, removed or {})
    if issues:
        raise ConfigError(issues)
    data = {k: v for k, v in located.data.items() if k != "version"}
    return validate_located(model, LocatedYaml(data, located.lines), path)


def version_issues(located: LocatedYaml, path: Path, current: int) -> list[ConfigIssue]:
    found = located.data.get("version", current)
    if isinstance(found, int) and not isinstance(found, bool) and 1 <= found <= current:
        return []
    line = located.line_of(("version",))
    return [
        ConfigIssue.of(path, line, "version", message("bad_version", got=found, current=current))
    ]


def removed_issues(
    located: LocatedYaml, path: Path, removed: Mapping[Path_, Removed]
) -> list[ConfigIssue]:
    """Removed keys present in the file, each with its replacement."""
    issues = []
    for key_path, gone in removed.items():
        if _has(located.data, key_path):
            text = message("removed_key", key=key_path[-1], version=gone.version, use=gone.use)
            issues.append(
                ConfigIssue.of(path, located.line_of(key_path), format_path(key_path), text)
            )
    return issues


def pydantic_issues(
    exc: ValidationError, located: LocatedYaml, path: Path, hidden: Iterable[str] = ()
) -> list[ConfigIssue]:
    """Pydantic's errors where they are in the file; `hidden`: more location parts
    nobody wrote (a model's own union tags)."""
    issues = []
    for error in exc.errors(include_url=False):
        loc = tuple(
            p
            for p in error["loc"]
            if p not in _NOT_WRITTEN and p not in hidden and not str(p).startswith("function-")
        )
        said = _said(error)
        issues.append(ConfigIssue.of(path, located.line_of(loc), format_path(loc), said))
    return issues


def issues_at(
    path: Path, located: LocatedYaml, problems: Iterable[tuple[Path_, Message]]
) -> list[ConfigIssue]:
    return [ConfigIssue.of(path, located.line_of(p), format_path(p), said) for p, said in problems]


def _said(error: Any) -> Message:
    """Pydantic's error as a message: a misspelt key is ours, the rest keeps pydantic's text."""
    if error["type"] == "extra_forbidden":
        return message("unknown_key")
    text = error["msg"].removeprefix("Value error, ")
    if error["type"] not in ("missing", "value_error") and "input" in error:
        text = f"{text} (got {_short(error['input'])})"
    return schema_message(error["type"], text)


def _has(data: Any, key_path: Path_) -> bool:
    for key in key_path:
        if not isinstance(data, dict) or key not in data:
            return False
        data = data[key]
    return True


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
