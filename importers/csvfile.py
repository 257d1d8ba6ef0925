"""CSV files from outside: a size cap, an exact header, rows with their line numbers."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from importers.errors import Refused


def rows(
    path: Path, header: tuple[str, ...], max_bytes: int
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for each data row; the header must be exactly `header`. The file
    is read as it is iterated, never whole (a 50 MB export stays out of memory)."""
    size = path.stat().st_size
    if size > max_bytes:
        raise Refused(path, f"file is {size:,} bytes, more than the limit of {max_bytes:,}")
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        try:
            yield from _rows(path, reader, header)
        except UnicodeDecodeError:
            # Decoded a chunk ahead of the rows read: the line is where it starts, at most.
            where = f"at or after line {reader.line_num + 1}"
            raise Refused(path, f"not UTF-8 text ({where}): save the file as UTF-8") from None


def _rows(
    path: Path, reader: Iterator[list[str]], header: tuple[str, ...]
) -> Iterator[tuple[int, dict[str, str]]]:
    first = next(reader, None)
    if first is None or tuple(c.strip() for c in first) != header:
        raise Refused(path, f"header must be: {','.join(header)}", 1)
    found = False
    for values in reader:
        line = reader.line_num  # type: ignore[attr-defined]
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
