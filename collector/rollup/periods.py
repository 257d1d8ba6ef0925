"""Period boundaries in ms: minutes and hours in UTC, days in Korean time."""

from __future__ import annotations

from datetime import timedelta, timezone

MINUTE_MS = 60_000
HOUR_MS = 3_600_000
DAY_MS = 86_400_000

# Days (consumption_1d) start at local midnight in Gwangju (KST, UTC+9, no DST),
# which is what a citizen or city staff member means by "a day".
KST = timezone(timedelta(hours=9), "KST")
KST_OFFSET_MS = 9 * HOUR_MS


def floor_to(ts_ms: int, step_ms: int) -> int:
    return ts_ms - ts_ms % step_ms


def minute_of(ts_ms: int) -> int:
    return floor_to(ts_ms, MINUTE_MS)


def hour_of(ts_ms: int) -> int:
    return floor_to(ts_ms, HOUR_MS)


def day_of(ts_ms: int) -> int:
    """Start (UTC ms) of the KST day holding ts."""
    return floor_to(ts_ms + KST_OFFSET_MS, DAY_MS) - KST_OFFSET_MS


def days_touching(start_ms: int, end_ms: int) -> list[int]:
    """Every KST day overlapping [start, end)."""
    days = []
    day = day_of(start_ms)
    while day < end_ms:
        days.append(day)
        day += DAY_MS
    return days
