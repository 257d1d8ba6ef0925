"""bench_city's printout: each line shows its own figures."""

from __future__ import annotations

import pytest

from bench.bench_city import City, Samples, _message, report


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


def test_a_restart_is_reported_apart_with_the_rollups_own_words(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = Samples(
        restart={"from_ms": 1.0, "stop": 21.4, "start": 95.2},
        restart_behind=[10.0, 140.5, 30.0],
        restart_log=[
            _message('{"msg": "meter states of 1000 meters saved to /tmp/x/s.pickle"}'),
            _message(
                '{"msg": "meter states of 1000 meters taken from /tmp/x/s.pickle (saved at 5)"}'
            ),
        ],
        restart_phases=({"groups": 60.0, "live": 5.0}, 300, 290),
    )
    report(City(meters=1000, restart_s=300.0), out)
    printed = capsys.readouterr().out
    assert "rollup stopped in 21 s" in printed and "started in 95 s" in printed
    assert "live_1m behind max 140.5 s in the 300 s after it (not judged)" in printed
    assert "rollup: meter states of 1000 meters taken (saved at 5)" in printed
    assert "/tmp" not in printed
    assert "sites resumed 290 of 300 touched" in printed
