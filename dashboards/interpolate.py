"""Fill a panel's InfluxQL the way Grafana does: $timeFilter, $__interval, $variables.

Used by `python -m dashboards check` and the tests to run every panel's exact
query against a real InfluxDB. It follows Grafana's InfluxDB data source:
a variable inside a regex is regex-escaped, a multi-value one becomes
`(a|b|c)`; `$timeFilter` is `time >= <from>ms and time <= <to>ms`; a panel's
relative time (`15m`, `now/d`, `now/M`) and time shift (`1y`) replace the
dashboard's range.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from dashboards.model import TIMEZONE

ZONE = ZoneInfo(TIMEZONE)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
# Grafana picks $__interval so a panel shows about this many points.
MAX_POINTS = 1000
NICE_INTERVALS = ["1s", "10s", "30s", "1m", "5m", "10m", "30m", "1h", "3h", "6h", "12h", "1d", "7d"]


@dataclass(frozen=True)
class TimeRange:
    start: datetime
    end: datetime

    def influxql(self) -> str:
        return f"time >= {_ms(self.start)}ms and time <= {_ms(self.end)}ms"


def _ms(t: datetime) -> int:
    return int(t.timestamp() * 1000)


def _duration(text: str) -> timedelta:
    match = re.fullmatch(r"(\d+)([smhdwMy])", text)
    if not match:
        raise ValueError(f"not a Grafana duration: {text!r}")
    n, unit = int(match[1]), match[2]
    if unit == "M":
        return timedelta(days=30 * n)
    if unit == "y":
        return timedelta(days=365 * n)
    return timedelta(**{_UNITS[unit]: n})


def _start_of(expr: str, now: datetime) -> datetime:
    local = now.astimezone(ZONE)
    if expr == "now/d":
        return local.replace(hour=0, minute=0, second=0, microsecond=0)
    if expr == "now/M":
        return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if expr.startswith("now-"):
        return now - _duration(expr[4:])
    return now - _duration(expr)  # a panel's relative time such as "15m"


def time_range(
    dashboard_from: str, now: datetime, panel_from: str | None = None, shift: str | None = None
) -> TimeRange:
    start = _start_of(panel_from or dashboard_from, now)
    end = now
    if shift:
        if shift.endswith("y"):
            years = int(shift[:-1])
            start, end = years_back(start, years), years_back(end, years)
        else:
            start, end = start - _duration(shift), end - _duration(shift)
    return TimeRange(start, end)


def years_back(t: datetime, years: int) -> datetime:
    """The same calendar moment `years` earlier; 29 February becomes the 28th (as Grafana does)."""
    try:
        return t.replace(year=t.year - years)
    except ValueError:
        return t.replace(year=t.year - years, day=28)


def interval(rng: TimeRange, minimum: str | None) -> str:
    """The smallest nice interval giving at most MAX_POINTS points, and at least `minimum`."""
    span = rng.end - rng.start
    floor = _duration(minimum) if minimum else timedelta(0)
    for nice in NICE_INTERVALS:
        step = _duration(nice)
        if step >= floor and span / step <= MAX_POINTS:
            return nice
    return NICE_INTERVALS[-1]


def regex_escape(value: str) -> str:
    return re.sub(r"([\\^$.|?*+()\[\]{}/-])", r"\\\1", value)


def variable_text(values: list[str], multi: bool) -> str:
    escaped = [regex_escape(v) for v in values]
    if multi and len(escaped) > 1:
        return "(" + "|".join(escaped) + ")"
    return escaped[0]


def fill(query: str, *, rng: TimeRange, step: str, variables: dict[str, str]) -> str:
    """The query with every Grafana macro and variable replaced; unknown $names raise."""
    text = query.replace("$timeFilter", rng.influxql()).replace("$__interval", step)
    for name in sorted(variables, key=len, reverse=True):
        text = text.replace(f"${name}", variables[name])
    leftover = re.findall(r"\$[A-Za-z_]\w*", text)
    if leftover:
        raise ValueError(f"unfilled variables {leftover} in {query!r}")
    return text


def expected_columns(query: str) -> list[str]:
    """Column names InfluxDB will answer for a SELECT: `time` plus each selected item's name."""
    select = _outer_select(query)
    columns = ["time"]
    for item in _split_top_level(select):
        alias = re.search(r'\s+AS\s+"((?:[^"\\]|\\.)*)"\s*$', item, re.IGNORECASE)
        if alias:
            columns.append(alias[1])
            continue
        call = re.match(r"\s*(\w+)\s*\(", item)
        if call:
            columns.append(call[1])
            continue
        columns.append(item.strip().strip('"'))
    return columns


def _outer_select(query: str) -> str:
    depth = 0
    body = query.strip()[len("SELECT") :]
    for i, ch in enumerate(body):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and body[i : i + 6].upper() == " FROM ":
            return body[:i]
    raise ValueError(f"no FROM in {query!r}")


def _split_top_level(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return [p.strip() for p in parts if p.strip()]
