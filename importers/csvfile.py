"""CSV files from outside: a size cap, an exact header, rows with their line numbers."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from importers.errors import Refused


def rows(
    path: Path, header: tuple[str, ...], max_bytes: int
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for each data row; the header must be exactly `header`."""
    size = path.stat().st_size
    if size > max_bytes:
        raise Refused(path, f"file is {size:,} bytes, more than the limit of {max_bytes:,}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Refused(path, f"not UTF-8 text (byte {exc.start}): save the file as UTF-8") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    first = next(reader, None)
    if first is None or tuple(c.strip() for c in first) != header:
        raise Refused(path, f"header must be: {','.join(header)}", 1)
    found = False
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue  # blank line
        if len(values) != len(header):
            raise Refused(path, f"expected {len(header)} columns, found {len(values)}", line)
        found = True
        yield line, {k: v.strip() for k, v in zip(header, values, strict=True)}
    if not found:
        raise Refused(path, "no data rows")


def parse_date(path: Path, line: int, column: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Refused(path, f"{column}: expected a date YYYY-MM-DD, got {text!r}", line) from None


def parse_amount(path: Path, line: int, column: str, text: str) -> float:
    """A number >= 0 (a thousands separator is refused: it is ambiguous)."""
    try:
        value = float(text)
    except ValueError:
        raise Refused(path, f"{column}: expected a number, got {text!r}", line) from None
    if not value >= 0 or value == float("inf"):
        raise Refused(path, f"{column}: expected a finite number >= 0, got {text!r}", line)
    return value
