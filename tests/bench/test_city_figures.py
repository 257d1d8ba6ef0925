"""bench_city's arithmetic (unit): rollup lag per reading, capacity, percentiles, verdict."""

from __future__ import annotations

import json
import math

from bench.city_figures import (
    Marker,
    Pass,
    passes_from_log,
    phase_seconds,
    rollup_capacity,
    rollup_lags,
    verdict,
    weighted_percentile,
)


def _record(msg: str, ts: str) -> str:
    return json.dumps({"ts": ts, "level": "info", "component": "rollup", "msg": msg})


def test_passes_come_from_the_rollup_log_lines_only() -> None:
    text = "\n".join(
        [
            _record("rollup 1000..1764460800000: 3 markers, 2 sites, 10 private, 4 public points",
                    "2025-11-30T00:00:02.500+00:00"),
            "not json",
            _record("readings of sites not in the registry skipped: ['x']",
                    "2025-11-30T00:00:03.000+00:00"),
            _record("rollup 1764460740000..1764460860000 (full): 0 markers, 0 sites, 0 private, 0 public points",
                    "2025-11-30T00:01:05.000+00:00"),
        ]
    )  # fmt: skip
    assert passes_from_log(text) == [
        Pass(1764460800000, 1764460802500),
        Pass(1764460860000, 1764460865000),
    ]


def test_phase_seconds_add_up_the_regular_passes() -> None:
    msg = "rollup {}..{}{}: 9 markers, 0 interval markers, {} sites ({} resumed), 1 private, 1 public points; {}"
    text = "\n".join(
        [
            _record(msg.format(1, 2, " (full)", 50, 0, "9.00 s (markers 1.00, full 8.00)"), "2025-11-30T00:00:02+00:00"),
            _record(msg.format(3, 4, "", 10, 8, "1.50 s (markers 0.25, resumed 1.00, groups 0.25)"), "2025-11-30T00:01:02+00:00"),
            _record(msg.format(5, 6, "", 20, 2, "3.00 s (markers 0.50, recomputed 2.50)"), "2025-11-30T00:02:02+00:00"),
        ]
    )  # fmt: skip
    seconds, touched, resumed = phase_seconds(text)
    assert seconds == {"markers": 0.75, "resumed": 1.0, "groups": 0.25, "recomputed": 2.5}
    assert (touched, resumed) == (30, 10)
    # a warm-up's passes left out: only those whose window ends at `since` or later
    assert phase_seconds(text, since_ms=5) == ({"markers": 0.5, "recomputed": 2.5}, 20, 2)


def test_a_reading_is_rolled_up_when_the_first_pass_after_its_arrival_completes() -> None:
    passes = [Pass(10_000, 12_000), Pass(70_000, 75_000)]
    markers = [Marker(9_000, 4), Marker(10_000, 2), Marker(69_999, 1), Marker(71_000, 8)]
    lags, waiting = rollup_lags(markers, passes)
    # arriving at the pass's `now` is after its query window: the next pass takes it
    assert lags == [(3.0, 4), (65.0, 2), (5.001, 1)]
    assert waiting == 8


def test_capacity_is_new_readings_per_second_of_pass_time() -> None:
    passes = [Pass(10_000, 12_000), Pass(70_000, 70_500), Pass(130_000, 134_000)]
    markers = [Marker(5_000, 100), Marker(100_000, 300), Marker(120_000, 100)]
    # the idle middle pass does not count: (100 + 400) readings over 2 s + 4 s
    assert math.isclose(rollup_capacity(markers, passes), 500 / 6)
    assert rollup_capacity([], passes) == 0.0


def test_percentiles_weigh_each_lag_by_its_readings() -> None:
    pairs = [(1.0, 98), (50.0, 1), (100.0, 1)]
    assert weighted_percentile(pairs, 0.5) == 1.0
    assert weighted_percentile(pairs, 0.99) == 50.0
    assert weighted_percentile(pairs, 1.0) == 100.0
    assert math.isnan(weighted_percentile([], 0.5))


def test_verdict_names_the_first_limit_passed() -> None:
    assert verdict(1.0, 30.0, 40.0) == ""
    assert verdict(None, None, float("nan")) == ""
    assert "collector lag p99 61 s" in verdict(61.0, 200.0, 200.0)
    assert "live_1m 121 s behind" in verdict(2.0, 121.0, 10.0)
    assert "rollup lag p99 130 s" in verdict(2.0, 60.0, 130.0)
