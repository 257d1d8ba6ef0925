"""The check shared by the golden config cases: exactly the expected issues, by message id."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from telemetry.registry import ConfigError

HERE = Path(__file__).parent
CASE_DIRS = (HERE / "config_cases", HERE / "settings_cases")


def expected(case: Path) -> dict[str, Any]:
    return yaml.safe_load((case / "expected.yaml").read_text(encoding="utf-8"))


def cases(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir())


def assert_issues(error: ConfigError, wanted: list[dict[str, Any]]) -> None:
    """Each `{file, line, field, id}` is one issue, printed as file:line, and there is no other."""
    got = sorted((i.file.name, i.line or 0, i.field, i.id) for i in error.issues)
    want = sorted((w["file"], w["line"] or 0, w["field"], w["id"]) for w in wanted)
    assert got == want, str(error)
    text = str(error)
    for w in wanted:
        where = f"{w['file']}:{w['line']}: " if w["line"] else f"{w['file']}: "
        assert where in text


def covered_ids() -> set[str]:
    return {
        w["id"] for folder in CASE_DIRS for case in cases(folder) for w in expected(case)["errors"]
    }
