"""Korean calendar days and months (KST, UTC+9, no daylight saving) as UTC periods."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

KST = timezone(timedelta(hours=9), "KST")


def day_start(d: date) -> datetime:
    """00:00 KST of `d`, in UTC."""
    return datetime.combine(d, time(0), KST).astimezone(UTC)


def month_period(year: int, month: int) -> tuple[datetime, datetime]:
    """[first day 00:00 KST, first day of the next month 00:00 KST), in UTC."""
    nxt = date(year + month // 12, month % 12 + 1, 1)
    return day_start(date(year, month, 1)), day_start(nxt)
