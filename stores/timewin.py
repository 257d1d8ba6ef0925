"""Time windows of series requests: parsing, limits, periods, comparison windows.

Dates without a time zone are Korean time (KST, UTC+9): a day or month is a
day or month in Gwangju, matching the rollup's consumption_1d.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

KST = dt.timezone(dt.timedelta(hours=9), "KST")
UTC = dt.UTC
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=KST)
LATEST = dt.datetime(2100, 1, 1, tzinfo=KST)


class WindowRefused(ValueError):
    """A time parameter refused: what was wrong and which parameter (the API answers 400)."""

    def __init__(self, detail: str, field: str) -> None:
        super().__init__(detail)
        self.detail, self.field = detail, field


class Every(StrEnum):
    HOUR = "hour"
    DAY = "day"
    MONTH = "month"


MAX_SPAN = {Every.HOUR: dt.timedelta(days=31), Every.DAY: dt.timedelta(days=732)}
MAX_MONTHS = 120
DEFAULT_SPAN = {Every.HOUR: dt.timedelta(days=1), Every.DAY: dt.timedelta(days=30)}


def parse_time(value: str, name: str) -> dt.datetime:
    """An ISO date or date-time; without an offset it is KST."""
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise WindowRefused(
            f"{name}: {value!r} is not an ISO 8601 date or date-time (e.g. 2026-11-01 or "
            "2026-11-01T09:00:00+09:00)",
            name,
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=KST)
    if not EARLIEST <= parsed <= LATEST:
        raise WindowRefused(f"{name}: {value!r} lies outside 2000-01-01..2100-01-01", name)
    return parsed.astimezone(KST)


def floor(t: dt.datetime, every: Every) -> dt.datetime:
    t = t.astimezone(KST)
    if every is Every.HOUR:
        return t.replace(minute=0, second=0, microsecond=0)
    if every is Every.DAY:
        return t.replace(hour=0, minute=0, second=0, microsecond=0)
    return t.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def advance(t: dt.datetime, every: Every, n: int = 1) -> dt.datetime:
    if every is Every.HOUR:
        return t + dt.timedelta(hours=n)
    if every is Every.DAY:
        return t + dt.timedelta(days=n)
    return add_months(t, n)


def add_months(t: dt.datetime, n: int) -> dt.datetime:
    months = t.year * 12 + t.month - 1 + n
    year, month = divmod(months, 12)
    return t.replace(year=year, month=month + 1, day=min(t.day, 28) if t.day > 28 else t.day)


def ceil(t: dt.datetime, every: Every) -> dt.datetime:
    f = floor(t, every)
    return f if f == t else advance(f, every)


def ms(t: dt.datetime) -> int:
    return int(t.timestamp() * 1000)


def from_ms(value: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(value / 1000, tz=KST)


def shift_year(t: dt.datetime) -> dt.datetime:
    try:
        return t.replace(year=t.year - 1)
    except ValueError:  # 29 February
        return t.replace(year=t.year - 1, day=28)


@dataclass(frozen=True)
class Window:
    start: dt.datetime
    end: dt.datetime
    every: Every

    def periods(self) -> list[tuple[dt.datetime, dt.datetime]]:
        out, t = [], self.start
        while t < self.end:
            nxt = advance(t, self.every)
            out.append((t, nxt))
            t = nxt
        return out

    def previous_period(self) -> Window:
        if self.every is Every.MONTH:
            n = len(self.periods())
            return Window(add_months(self.start, -n), self.start, self.every)
        return Window(self.start - (self.end - self.start), self.start, self.every)

    def previous_year(self) -> Window:
        return Window(shift_year(self.start), shift_year(self.end), self.every)


def window(
    start: str | None, end: str | None, every: Every, now: dt.datetime | None = None
) -> Window:
    """Validated window: floored/ceiled to whole periods, not reversed, not too long."""
    now = now or dt.datetime.now(KST)
    t_end = ceil(parse_time(end, "end") if end else now, every)
    if start:
        t_start = floor(parse_time(start, "start"), every)
    elif every is Every.MONTH:
        t_start = add_months(t_end, -12)
    else:
        t_start = floor(t_end - DEFAULT_SPAN[every], every)
    if t_start >= t_end:
        raise WindowRefused(
            f"start ({t_start.isoformat()}) must be before end ({t_end.isoformat()})", "start"
        )
    if every is Every.MONTH:
        months = (t_end.year - t_start.year) * 12 + t_end.month - t_start.month
        if months > MAX_MONTHS:
            raise WindowRefused(f"at most {MAX_MONTHS} months per request with every=month", "end")
    elif t_end - t_start > MAX_SPAN[every]:
        raise WindowRefused(
            f"at most {MAX_SPAN[every].days} days per request with every={every.value}; "
            "use a coarser `every` for longer ranges",
            "end",
        )
    return Window(t_start, t_end, every)
