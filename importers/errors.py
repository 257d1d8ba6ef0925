"""A refused file: what is wrong and where (file, line, element or column)."""

from __future__ import annotations

from pathlib import Path


class Refused(Exception):
    """The whole file is refused; nothing of it is published."""

    def __init__(self, path: Path | str, message: str, line: int | None = None) -> None:
        self.path, self.line, self.message = str(path), line, message
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")
