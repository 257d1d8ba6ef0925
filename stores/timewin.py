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
COARSER = {Every.HOUR: Every.DAY, Every.DAY: Every.MONTH}
# What parse_time reads, as a JSON Schema: a date or an RFC 3339 date-time (the API's
# parameters and the board's chart references state it).
ISO_TIME = {
    "anyOf": [
        {"type": "string", "format": "date", "maxLength": 40},
        {"type": "string", "format": "date-time", "maxLength": 40},
    ]
}


def limits_text() -> str:
    """The per-request limits, as the OpenAPI descriptions state them (from the constants
    the check uses)."""
    return (
        f"A window longer than `every` allows ({MAX_SPAN[Every.HOUR].days} days with hour, "
        f"{MAX_SPAN[Every.DAY].days} days with day, {MAX_MONTHS} months with month) is answered "
        "in the next coarser `every` that fits it where the route lets the client choose "
        "`every`, else (and beyond 120 months) it is cut to its latest part; a start after "
        "the end is swapped with it, and times outside 2000-01-01..2100-01-01 are brought "
        "inside. The answer's `Window-Adjusted` header says what was done; its `every`, "
        "`start` and `end` are what was answered."
    )


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
    # By year first: a year 1 or 9999 with an offset overflows when converted or compared.
    if parsed.year < EARLIEST.year:
        return EARLIEST
    if parsed.year >= LATEST.year:
        return LATEST
    return min(max(parsed, EARLIEST), LATEST).astimezone(KST)


def _inside(value: str, name: str, notes: list[str]) -> dt.datetime:
    """`value` parsed and brought inside EARLIEST..LATEST, noting when it had to be."""
    t = parse_time(value, name)
    if t in (EARLIEST, LATEST) and not value.startswith(t.date().isoformat()):
        notes.append(f"{name} brought inside {EARLIEST.date()}..{LATEST.date()}")
    return t


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
    # What was changed from the request to answer it (empty: answered as asked).
    adjusted: tuple[str, ...] = ()

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
    start: str | None,
    end: str | None,
    every: Every,
    now: dt.datetime | None = None,
    coarsen: bool = True,
) -> Window:
    """The window to answer: whole periods, never reversed, never longer than `every` allows.

    Only a parameter that is no ISO date is refused (WindowRefused). A window the limits do
    not allow is answered all the same, and `adjusted` says how: times outside
    EARLIEST..LATEST are brought inside, a start after the end swapped with it, a window
    too long for `every` answered in a coarser one (`coarsen`, when the client chose
    `every`) or cut to its latest part (a client asks again with `end` = the answer's start
    for the part before)."""
    now = now or dt.datetime.now(KST)
    notes: list[str] = []
    t_end = _inside(end, "end", notes) if end else now
    if start:
        t_start = _inside(start, "start", notes)
        if t_start > t_end:
            t_start, t_end = t_end, t_start
            notes.append("start was after end: the two were swapped")
    else:
        t_start = None
    while True:
        w = _whole(t_start, t_end, every)
        over = _too_long(w)
        if not over:
            return Window(w.start, w.end, w.every, tuple(notes))
        if coarsen and every in COARSER:
            every = COARSER[every]
            notes.append(f"{over}: answered with every={every.value}")
            continue
        cut = _cut(w)
        notes.append(f"{over}: cut to {cut.start.isoformat()}..{cut.end.isoformat()}")
        return Window(cut.start, cut.end, cut.every, tuple(notes))


@dataclass(frozen=True)
class Span:
    """Instants (not whole periods) for the routes that bucket their own way."""

    start: dt.datetime
    end: dt.datetime
    adjusted: tuple[str, ...] = ()


def span(
    start: str | None,
    end: str | None,
    longest: dt.timedelta,
    default: dt.timedelta,
    now: dt.datetime | None = None,
) -> Span:
    """From `start` to `end` (default: `default` before now), answered as window() does:
    brought inside EARLIEST..LATEST, swapped when reversed, cut to its latest `longest`."""
    notes: list[str] = []
    t_end = _inside(end, "end", notes) if end else (now or dt.datetime.now(KST))
    t_start = _inside(start, "start", notes) if start else t_end - default
    if t_start > t_end:
        t_start, t_end = t_end, t_start
        notes.append("start was after end: the two were swapped")
    if t_end - t_start > longest:
        t_start = t_end - longest
        notes.append(f"at most {longest.days} days per request: cut to {t_start.isoformat()}..")
    return Span(t_start, t_end, tuple(notes))


def _whole(t_start: dt.datetime | None, t_end: dt.datetime, every: Every) -> Window:
    """Whole periods: the start floored, the end ceiled (default start: one span before)."""
    w_end = ceil(t_end, every)
    if t_start is not None:
        w_start = floor(t_start, every)
    elif every is Every.MONTH:
        w_start = add_months(w_end, -12)
    else:
        w_start = floor(w_end - DEFAULT_SPAN[every], every)
    if w_start >= w_end:  # an instant (start = end): the one period holding it
        w_end = advance(w_start, every)
    return Window(w_start, w_end, every)


def _months(w: Window) -> int:
    return (w.end.year - w.start.year) * 12 + w.end.month - w.start.month


def _too_long(w: Window) -> str:
    """Why `w` is longer than one request may be ('' when it is not)."""
    if w.every is Every.MONTH:
        return f"at most {MAX_MONTHS} months per request" if _months(w) > MAX_MONTHS else ""
    span = MAX_SPAN[w.every]
    return (
        f"at most {span.days} days per request with every={w.every.value}"
        if w.end - w.start > span
        else ""
    )


def _cut(w: Window) -> Window:
    """The latest part of `w` that one request may hold."""
    if w.every is Every.MONTH:
        return Window(add_months(w.end, -MAX_MONTHS), w.end, w.every)
    return Window(floor(w.end - MAX_SPAN[w.every], w.every), w.end, w.every)
