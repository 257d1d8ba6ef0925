"""The check shared by the golden config cases: every expected issue, and no other."""

from __future__ import annotations

from typing import Any

from telemetry.registry import ConfigError


def assert_issues(error: ConfigError, expected: list[dict[str, Any]]) -> None:
    """Each `{file, line, field, contains}` matches one issue, printed as file:line."""
    issues, text = error.issues, str(error)
    for want in expected:
        matches = [
            i
            for i in issues
            if i.file.name == want["file"]
            and i.line == want["line"]
            and i.field == want["field"]
            and want["contains"] in i.message
        ]
        assert matches, f"expected {want} among:\n{text}"
        assert f"{want['file']}:{want['line']}" in text
    assert len(issues) == len(expected), text
