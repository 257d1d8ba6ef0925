"""Golden cases: written-out inputs beside a suite, each with what it must give.

A case is a folder (`<suite>/<kind>_cases/<case>/`: the input files and
`expected.yaml`) or a single YAML file (`counter_cases/<case>.yaml`). Broken
config cases list, under `errors`, each issue as {file, line, field, id}.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from telemetry.registry import ConfigError

IssueKey = tuple[str, int, str | None, str]


def case_dirs(folder: Path) -> list[Path]:
    """The case folders of `folder`, by name (use `ids=case_id` to parametrise)."""
    return sorted(p for p in folder.iterdir() if p.is_dir())


def case_files(folder: Path, pattern: str = "*.yaml") -> list[Path]:
    """The one-file cases of `folder`, by name."""
    return sorted(folder.glob(pattern))


def case_id(case: Path) -> str:
    """A case's test id: its folder's name, or its file's without the suffix."""
    return case.stem


def read_yaml(path: Path) -> Any:
    """A case file's YAML (None for an empty file)."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def expected(case: Path) -> dict[str, Any]:
    """A case folder's expected.yaml."""
    return read_yaml(case / "expected.yaml")


def covered_ids(*folders: Path) -> set[str]:
    """Every message id some case of these folders expects."""
    return {w["id"] for folder in folders for case in case_dirs(folder) for w in errors(case)}


def errors(case: Path) -> list[dict[str, Any]]:
    """The issues a broken config case expects."""
    return expected(case)["errors"]


def issue_keys(error: ConfigError) -> list[IssueKey]:
    return sorted((i.file.name, i.line or 0, i.field, i.id) for i in error.issues)


def wanted_keys(wanted: Iterable[dict[str, Any]]) -> list[IssueKey]:
    return sorted((w["file"], w["line"] or 0, w["field"], w["id"]) for w in wanted)


def assert_same_issues(error: ConfigError, wanted: list[dict[str, Any]]) -> None:
    """Each `{file, line, field, id}` is one issue of the error, and there is no other."""
    assert issue_keys(error) == wanted_keys(wanted), str(error)


def assert_issues(error: ConfigError, wanted: list[dict[str, Any]]) -> None:
    """`assert_same_issues`, and each issue printed as file:line (or file: without a line)."""
    assert_same_issues(error, wanted)
    text = str(error)
    for w in wanted:
        where = f"{w['file']}:{w['line']}: " if w["line"] else f"{w['file']}: "
        assert where in text
