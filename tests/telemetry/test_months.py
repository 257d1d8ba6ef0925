"""KST months: the floor at local midnight on the 1st, and apportioning by time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from telemetry.months import apportion, label, month_of, months_touching, next_month


def ms(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp() * 1000)


def test_month_starts_at_kst_midnight_on_the_first() -> None:
    november = ms(2026, 10, 31, 15)
    assert month_of(november) == november
    assert month_of(november - 1) == ms(2026, 9, 30, 15)  # 23:59:59.999 KST on 31 Oct
    assert month_of(ms(2026, 11, 30, 14, 59)) == november
    assert next_month(november) == ms(2026, 11, 30, 15)
    assert next_month(ms(2026, 11, 30, 15)) == ms(2026, 12, 31, 15)  # December → January
    assert label(november) == "2026-11"


def test_a_bill_straddling_two_months_is_split_by_days() -> None:
    # 15 Oct .. 14 Nov KST inclusive: 17 days in October, 14 in November.
    start, end = ms(2026, 10, 14, 15), ms(2026, 11, 14, 15)
    parts = apportion(start, end, 310.0)
    assert [m for m, _ in parts] == [ms(2026, 9, 30, 15), ms(2026, 10, 31, 15)]
    assert [v for _, v in parts] == pytest.approx([310.0 * 17 / 31, 310.0 * 14 / 31])
    assert apportion(start, start + 3_600_000, 2.5) == [(ms(2026, 9, 30, 15), 2.5)]
    assert months_touching(start, ms(2027, 1, 2)) == [
        ms(2026, 9, 30, 15),
        ms(2026, 10, 31, 15),
        ms(2026, 11, 30, 15),
        ms(2026, 12, 31, 15),
    ]
