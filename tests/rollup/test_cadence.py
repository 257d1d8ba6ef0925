"""Passes start an interval apart, counted from their starts (collector/rollup/cadence.py)."""

from __future__ import annotations

from collector.rollup.cadence import MIN_PAUSE_S, pause


def test_a_short_pass_is_followed_by_the_rest_of_the_interval() -> None:
    assert pause(started=100.0, interval_s=60.0, now=115.0) == 45.0


def test_a_pass_that_ran_over_is_followed_by_the_short_pause_only() -> None:
    assert pause(started=100.0, interval_s=60.0, now=190.0) == MIN_PAUSE_S


def test_an_interval_shorter_than_the_short_pause_is_kept() -> None:
    assert pause(started=100.0, interval_s=0.2, now=100.5) == 0.2
