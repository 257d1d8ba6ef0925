"""All-or-nothing checks over a whole file's periods: no two may overlap."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

from importers.errors import Refused
from telemetry.readings_v2 import MAX_INTERVAL

# What the collector accepts (collector/intervals.py): checked here too, so
# that a file is refused whole instead of in part.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_SLACK_S = 300.0


def plausible_period(start: datetime, end: datetime, now: datetime | None = None) -> str | None:
    """Why [start, end) cannot be a reading's period, or None."""
    now = now or datetime.now(UTC)
    if end <= start:
        return f"period {start.isoformat()}..{end.isoformat()} does not end after it starts"
    if end - start > MAX_INTERVAL:
        return (
            f"period {start.isoformat()}..{end.isoformat()} is longer than {MAX_INTERVAL.days} days"
        )
    if start < EARLIEST:
        return f"period starts {start.isoformat()}, before {EARLIEST.date().isoformat()}"
    if (end - now).total_seconds() > FUTURE_SLACK_S:
        return f"period ends {end.isoformat()}, in the future"
    return None


@dataclass(frozen=True, slots=True)
class Period:
    """One period of one series, with where it came from (for the error)."""

    series: tuple[str, ...]  # meter, utility, field (or "cost")
    start: datetime
    end: datetime
    line: int | None
    where: str  # element or row, as the user would find it


def refuse_overlaps(path: Path, periods: list[Period]) -> None:
    """Duplicated or overlapping periods of one series make the whole file ambiguous."""
    by_series: dict[tuple[str, ...], list[Period]] = {}
    for p in periods:
        by_series.setdefault(p.series, []).append(p)
    for series, items in by_series.items():
        items.sort(key=lambda p: (p.start, p.line or 0))
        for a, b in pairwise(items):
            if b.start < a.end:
                what = "duplicates" if (a.start, a.end) == (b.start, b.end) else "overlaps"
                at = f" (line {a.line})" if a.line is not None else ""
                raise Refused(
                    path,
                    f"{b.where}: {b.start.isoformat()}..{b.end.isoformat()} {what} "
                    f"{a.start.isoformat()}..{a.end.isoformat()}{at} of {'/'.join(series)}",
                    b.line,
                )
