"""KST calendar months in UTC milliseconds, and a period's amount apportioned between them.

Monthly figures (`meter_consumption_1mo`, `consumption_1mo`) are per Korean
(KST, UTC+9, no DST) calendar month, timestamped at the month's start in UTC
(November 2026 = 2026-10-31T15:00:00Z). A period that straddles months (a
billing period, 2026-10-15..2026-11-14) is apportioned by time; bills cover
whole KST days, so for them this is by days. Used by the rollups and by
readers that label months.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

KST = timezone(timedelta(hours=9), "KST")


def month_of(ts_ms: int) -> int:
    """Start (UTC ms) of the KST month holding ts."""
    local = datetime.fromtimestamp(ts_ms / 1000, tz=KST)
    return _ms(local.replace(day=1, hour=0, minute=0, second=0, microsecond=0))


def next_month(month_ms: int) -> int:
    """Start of the KST month after the one starting at month_ms."""
    local = datetime.fromtimestamp(month_ms / 1000, tz=KST)
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    return _ms(datetime(year, month, 1, tzinfo=KST))


def months_touching(start_ms: int, end_ms: int) -> list[int]:
    """Every KST month overlapping [start, end) (end > start)."""
    out = [month_of(start_ms)]
    while (following := next_month(out[-1])) < end_ms:
        out.append(following)
    return out


def apportion(start_ms: int, end_ms: int, amount: float) -> list[tuple[int, float]]:
    """(month start, share of amount) for each KST month [start, end) overlaps, by time.
    One month: the whole amount, exactly."""
    months = months_touching(start_ms, end_ms)
    if len(months) == 1:
        return [(months[0], amount)]
    span = end_ms - start_ms
    out = []
    for month in months:
        part = min(end_ms, next_month(month)) - max(start_ms, month)
        out.append((month, amount * part / span))
    return out


def label(month_ms: int) -> str:
    """`2026-11` for the KST month starting at month_ms."""
    return datetime.fromtimestamp(month_ms / 1000, tz=KST).strftime("%Y-%m")


def _ms(t: datetime) -> int:
    return round(t.astimezone(UTC).timestamp() * 1000)
