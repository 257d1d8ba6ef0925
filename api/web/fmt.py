"""How figures are written on the pages (the browser script writes them the same way)."""

from __future__ import annotations

import datetime as dt

KST = dt.timezone(dt.timedelta(hours=9), "KST")


def number(value: float | None, digits: int = 1) -> str:
    """Thousands separators and fixed decimals; a dash where there is no number."""
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def pct(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{value * 100:,.{digits}f}%"


def kst_minute(iso: str | None) -> str | None:
    """'2026-11-29 22:14 KST' from an ISO time (any offset)."""
    if not iso:
        return None
    return dt.datetime.fromisoformat(iso).astimezone(KST).strftime("%Y-%m-%d %H:%M KST")


def period_label(start_iso: str, every: str) -> str:
    """A period's start as a reader names it: hour, day or month, in KST."""
    start = dt.datetime.fromisoformat(start_iso).astimezone(KST)
    return start.strftime({"hour": "%m-%d %H:00", "day": "%Y-%m-%d", "month": "%Y-%m"}[every])


def kst_time(when: dt.datetime | str | None) -> str | None:
    """A stored time (naive times are UTC, as SQLite returns them) in KST to the minute."""
    if when is None:
        return None
    if isinstance(when, str):
        return kst_minute(when)
    aware = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    return aware.astimezone(KST).strftime("%Y-%m-%d %H:%M KST")


def kst_time_ms(ms: int | None) -> str | None:
    """Epoch milliseconds in KST to the second ('2026-11-29 22:14:05 KST')."""
    if ms is None:
        return None
    return dt.datetime.fromtimestamp(ms / 1000, KST).strftime("%Y-%m-%d %H:%M:%S KST")
