"""Config errors that name the file, the line, the field and what was expected."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from telemetry.config.messages import Message


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    """One mistake: where it is, what it says, and the id of what it says."""

    file: Path
    line: int | None
    field: str
    message: str
    id: str

    @classmethod
    def of(cls, file: Path, line: int | None, field: str, said: Message) -> ConfigIssue:
        return cls(file, line, field, said.text, said.id)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else f"{self.file}"
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class ConfigError(ValueError):
    """One or more mistakes in configuration files; `issues` lists each."""

    def __init__(self, issues: Iterable[ConfigIssue]) -> None:
        self.issues = list(issues)
        head = f"{len(self.issues)} configuration error(s):" if len(self.issues) > 1 else ""
        body = "\n".join(f"  {issue}" if head else str(issue) for issue in self.issues)
        super().__init__(f"{head}\n{body}" if head else body)


def format_path(path: Iterable[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
