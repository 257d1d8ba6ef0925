"""Restart safety: the watermark makes a pass after downtime cover every hour it missed;
late data inside the lookback is picked up by the next pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.rollup.cli import build_engine
from collector.rollup.settings import RollupSettings
from devstack import InfluxServer, component_env, flags
from telemetry.influx_schema import rollup_from
from telemetry.registry import load_registry
from tests.rollup import brute, city
from tests.rollup.conftest import write_city
from tests.support.processes import Processes
from tests.support.waiting import true_within

pytestmark = pytest.mark.timeout(120)


def _engine(c, lookback_s: float, now_ms: int):  # type: ignore[no-untyped-def]
    settings = RollupSettings(
        config=c.sites,
        influx_url=c.url,
        influx_bucket=c.raw,
        influx_public_bucket=c.public,
        lookback_s=lookback_s,
    )
    engine = build_engine(settings, load_registry(c.sites))
    engine.clock = lambda: now_ms / 1000
    return engine


def _hours(c) -> set[int]:  # type: ignore[no-untyped-def]
    rows = c.ql.rows(
        f"SELECT consumption FROM {rollup_from('consumption_1h')} WHERE district = 'all' "
        "AND building_type = 'all' AND utility = 'electricity'",
        c.raw,
        epoch="ms",
    )
    return {r["time"] for r in rows}


def test_pass_after_downtime_starts_at_the_watermark(
    rollup_influx: InfluxServer, tmp_path: Path
) -> None:
    # Four hours back: three whole hours after the first pass's, whatever the minute
    # (with three, a run in the first minute of an hour had one hour fewer to check).
    c = write_city(rollup_influx, tmp_path, hours_before=4)
    first_now = c.start_ms + 70 * city.MINUTE  # the rollup ran then, and stopped
    _engine(c, 600, first_now).run_pass()
    assert _hours(c) == {c.start_ms + city.HOUR}  # 10 min lookback: only the hour then running

    # Back after ~2 hours of downtime, with a lookback of only 10 minutes.
    later = _engine(c, 600, c.end_ms)
    assert later.plan(c.end_ms) <= first_now - city.MINUTE
    later.run_pass()
    brute_force = {
        k: v
        for k, v in brute.hourly_consumption(c.ql, c.raw).items()
        if k[-1] >= c.start_ms + city.HOUR
    }
    assert _hours(c) == {k[-1] for k in brute_force}
    assert len(_hours(c)) >= 3  # every hour since the first pass, not just the last 10 minutes
    got = brute.stored(c.ql, c.raw, "consumption_1h", "consumption")
    for key, value in brute_force.items():
        assert got[key]["consumption"] == pytest.approx(value), key


def _live_minutes(c) -> list[int]:  # type: ignore[no-untyped-def]
    rows = c.ql.rows(
        "SELECT rate FROM live_1m WHERE district = 'all' AND building_type = 'all' "
        "AND utility = 'electricity'",
        c.raw,
        epoch="ms",
    )
    return sorted(r["time"] for r in rows)


def test_live_minutes_cover_the_live_lookback_or_the_whole_catch_up(
    rollup_influx: InfluxServer, tmp_path: Path
) -> None:
    c = write_city(rollup_influx, tmp_path, hours_before=3)
    first_now = c.start_ms + 70 * city.MINUTE
    _engine(c, 3600, first_now).run_pass()  # live lookback: default 10 minutes
    assert _live_minutes(c) == list(range(first_now - 10 * city.MINUTE, first_now, city.MINUTE))
    # After downtime the catch-up recomputes live minutes from the watermark's hour on.
    _engine(c, 3600, c.end_ms).run_pass()
    since = c.start_ms + city.HOUR
    assert _live_minutes(c) == list(range(since, c.end_ms, city.MINUTE))


def test_without_watermark_a_pass_covers_the_lookback(
    rollup_influx: InfluxServer, tmp_path: Path
) -> None:
    c = write_city(rollup_influx, tmp_path, hours_before=3)
    engine = _engine(c, 3600, c.end_ms)
    assert engine.plan(c.end_ms) == (c.end_ms - 3600_000) - (c.end_ms - 3600_000) % city.HOUR


def test_late_reading_inside_lookback_is_picked_up(
    rollup_influx: InfluxServer, tmp_path: Path
) -> None:
    c = write_city(rollup_influx, tmp_path, hours_before=2)
    c.rollup()
    # A replayed outbox delivers a meter the rollup has never seen, 90 minutes late.
    spec = city.MeterSpec(
        "hh-1",
        "late-elec",
        "electricity",
        city.SUPPRESSED_DISTRICT,
        city.SUPPRESSED_DONG,
        "detached_house",
        rate=6.0,
        base=10.0,
    )
    city.write_arrived(
        c.url,
        c.raw,
        [
            city.point(spec, c.start_ms + i * city.MINUTE, city.counter_at(spec, i), 6.0, "good")
            for i in range(50)
        ],
    )
    c.rollup()
    expected = brute.hourly_consumption(c.ql, c.raw)
    got = brute.stored(c.ql, c.raw, "consumption_1h", "consumption")
    city_hour = ("electricity", "all", "all", "all", c.start_ms)
    assert got[city_hour]["consumption"] == pytest.approx(expected[city_hour])
    assert expected[city_hour] > 0


def test_bad_config_and_unreachable_influx_are_clear_errors(
    tmp_path: Path, processes: Processes
) -> None:
    bad = tmp_path / "sites.yaml"
    bad.write_text("sites:\n  - id: x\n    kind: nowhere\n", encoding="utf-8")
    done = processes.run_module("collector", "rollup", "--once", "--config", bad, timeout=60)
    assert done.returncode == 2 and "sites.yaml" in done.stderr
    good = city.write_sites(tmp_path)
    done = processes.run_module(
        "collector", "rollup", "--once", "--config", good, "--influx-url", "http://127.0.0.1:9",
        timeout=60,
    )  # fmt: skip
    assert done.returncode == 1 and "collector rollup: pass failed" in done.stderr, done.stderr


def test_the_loop_runs_passes_until_sigterm(rollup_influx: InfluxServer, tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys

    c = write_city(rollup_influx, tmp_path, hours_before=1)
    env = component_env()
    proc = subprocess.Popen(
        [sys.executable, "-m", "collector", "rollup"]
        + flags(
            config=c.sites,
            influx_url=c.url,
            influx_bucket=c.raw,
            influx_public_bucket=c.public,
            interval=0.5,
        ),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )

    def passes() -> int:
        rows = c.ql.rows(f"SELECT count(until_ms) FROM {rollup_from('rollup_watermark')}", c.raw)
        return rows[0]["count"] if rows else 0

    try:
        assert true_within(lambda: passes() >= 2, 60, 0.3)  # one watermark point per pass
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
