"""How far back late readings get live minutes: `live_catchup_s`, by default as far as
the catch-up reaches (an outbox replayed after an outage fills its minutes), shorter for
a demo that publishes a week of past readings (the present's minutes come first)."""

from __future__ import annotations

from collector.rollup.engine import Windows
from collector.rollup.settings import RollupSettings

HOUR_MS, WEEK_MS = 3_600_000, 7 * 86_400_000
NOW = 1_796_000_000_000


def _windows(live_catchup_ms: int | None) -> Windows:
    return Windows(lookback_ms=2 * HOUR_MS, live_lookback_ms=600_000, max_catchup_ms=WEEK_MS,
                   chunk_ms=6 * HOUR_MS, live_catchup_ms=live_catchup_ms)  # fmt: skip


def test_by_default_late_minutes_reach_as_far_as_the_catch_up() -> None:
    assert _windows(None).live_oldest(NOW) == NOW - WEEK_MS
    assert RollupSettings.model_fields["live_catchup_s"].default is None


def test_a_shorter_live_catch_up_leaves_older_minutes_alone() -> None:
    assert _windows(HOUR_MS).live_oldest(NOW) == NOW - HOUR_MS
    assert _windows(2 * WEEK_MS).live_oldest(NOW) == NOW - WEEK_MS  # never past the catch-up
