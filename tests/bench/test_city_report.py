"""bench_city's printout: each line shows its own figures."""

from __future__ import annotations

import pytest

from bench.bench_city import City, Samples, report


def test_the_rollup_lag_line_shows_the_lags_not_the_sampled_series(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = Samples(lags=[(30.0, 99), (90.0, 1)], live_behind=[5.0, 10.0, 200.0])
    report(City(meters=1000, warm_up_s=900.0), out)
    printed = capsys.readouterr().out
    rollup = next(line for line in printed.splitlines() if line.startswith("rollup lag"))
    live = next(line for line in printed.splitlines() if line.startswith("live_1m behind"))
    assert "p50 30.0 s, p99 30.0 s" in rollup  # 99 of 100 readings waited 30 s
    assert "p99 200.0" in live and "max 200.0 (3 samples)" in live
    assert "warm-up: 900 s not judged" in printed
