"""Meter states on disk (snapshot.py): a restarted rollup resumes its sites, and its
figures stay those of brute force whatever the snapshot (shut down cleanly, crashed
between two saves, saved after a cursor that never got stored, another registry).

The process is killed between passes by building a new engine from the same
settings, as a restart does; the real InfluxDB holds the cursor and the readings.
"""

from __future__ import annotations

import logging
import os
import stat
import time
from pathlib import Path

import pytest
from influxdb_client import Point

from collector.rollup import state
from collector.rollup.cli import build_engine
from collector.rollup.counters import Window
from collector.rollup.engine import Engine
from collector.rollup.settings import RollupSettings
from collector.rollup.snapshot import MAGIC, Saved, Snapshots
from devstack import InfluxServer, flags
from telemetry.influx_schema import rollup_from
from telemetry.influxql import InfluxQL
from telemetry.registry import load_registry
from tests.rollup import city
from tests.rollup.conftest import RolledCity, fresh_db, write_city
from tests.rollup.test_incremental import _assert_equals_brute_force, _site_and_minute
from tests.support.processes import Processes, child_env, python_m, start_logged, stop
from tests.support.waiting import true_within

pytestmark = pytest.mark.timeout(240)


def _saved(until_ms: int = 1_000) -> Saved:
    _usage, _events, st, _verdicts = state.start(
        [(1_000, 5.0), (61_000, 5.5), (121_000, 3.0)], 100.0, Window(0, 200_000)
    )
    return Saved(until_ms, "fp", {("electricity", "s1", "m1"): st}, {"s1": 121_000}, {"s2": 0})


def test_a_saved_snapshot_loads_back_the_same_states_and_only_its_owner_may_read_it(
    tmp_path: Path,
) -> None:
    snaps = Snapshots(tmp_path / "states" / "rollup.pickle", every_s=60)
    saved = _saved()
    snaps.save(saved)
    back = snaps.load()
    assert back is not None and back.until_ms == saved.until_ms
    assert back.site_last == saved.site_last and back.quiet == saved.quiet
    kept, again = (
        saved.states[("electricity", "s1", "m1")],
        back.states[("electricity", "s1", "m1")],
    )
    assert (again.last_ts, again.cont.pending, again.hours) == (
        kept.last_ts,
        kept.cont.pending,
        kept.hours,
    )
    # The next reading gives the same verdicts from the loaded state as from the kept one.
    assert state.feed(again, [(181_000, 3.2)]).events == state.feed(kept, [(181_000, 3.2)]).events
    assert stat.S_IMODE(os.stat(snaps.path).st_mode) == 0o600  # pickle: nobody else writes it
    assert not [p for p in snaps.path.parent.iterdir() if p.name != snaps.path.name]  # no temp


@pytest.mark.parametrize(
    "content",
    [b"", b"something else\n", MAGIC, MAGIC + b"\x80\x05truncated", MAGIC + b"not pickle"],
)
def test_an_unreadable_snapshot_is_ignored_with_a_warning(
    tmp_path: Path, content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "rollup.pickle"
    path.write_bytes(content)
    with caplog.at_level(logging.WARNING, "collector.rollup"):
        assert Snapshots(path, 60).load() is None
    assert str(path) in caplog.text


def test_no_snapshot_yet_is_not_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, "collector.rollup"):
        assert Snapshots(tmp_path / "none.pickle", 60).load() is None
    assert not caplog.records


def test_states_of_another_store_or_partition_are_refused(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "rollup.pickle"
    Snapshots(path, 60, owner="http://influx-a:8086 energy").save(_saved())
    with caplog.at_level(logging.WARNING, "collector.rollup"):
        assert Snapshots(path, 60, owner="http://influx-b:8086 energy").load() is None
    assert "influx-a" in caplog.text
    assert Snapshots(path, 60, owner="http://influx-a:8086 energy").load() is not None


def test_every_zero_saves_at_shutdown_only(tmp_path: Path) -> None:
    clock = [0.0]
    snaps = Snapshots(tmp_path / "rollup.pickle", every_s=0, clock=lambda: clock[0])
    clock[0] = 1e9
    assert not snaps.due()


def test_states_read_ahead_are_what_the_first_load_takes_then_the_file_again(
    tmp_path: Path,
) -> None:
    snaps = Snapshots(tmp_path / "rollup.pickle", every_s=60)
    snaps.save(_saved(until_ms=1))
    snaps.read_ahead()  # a starting process, while its registry loads
    snaps.save(_saved(until_ms=2))
    first, second = snaps.load(), snaps.load()
    assert first is not None and first.until_ms == 1
    assert second is not None and second.until_ms == 2


def test_periodic_saves_are_written_by_a_child_every_interval_one_at_a_time(
    tmp_path: Path, processes: Processes
) -> None:
    clock = [0.0]
    snaps = Snapshots(tmp_path / "rollup.pickle", every_s=300, clock=lambda: clock[0])
    assert not snaps.due()  # the first save an interval after the start
    clock[0] = 300
    assert snaps.due()
    snaps.save_in_background(_saved(until_ms=7))
    assert not snaps.due()  # not again before the next interval
    snaps.wait()
    loaded = snaps.load()
    assert loaded is not None and loaded.until_ms == 7
    clock[0] = 600
    assert snaps.due()


def test_a_child_that_cannot_write_leaves_the_old_snapshot(
    tmp_path: Path, processes: Processes
) -> None:
    snaps = Snapshots(tmp_path / "rollup.pickle", every_s=60, clock=lambda: 0.0)
    snaps.save(_saved(until_ms=1))
    bad = _saved(until_ms=2)
    bad.quiet = {"s": lambda: 0}  # type: ignore[dict-item]  # cannot be pickled
    snaps.save_in_background(bad)
    snaps.wait()
    loaded = snaps.load()
    assert loaded is not None and loaded.until_ms == 1
    assert not [p for p in tmp_path.iterdir() if p.name != "rollup.pickle"]


# -- restarts through the real InfluxDB ---------------------------------------------------

HISTORY = 60  # minutes read before the first (full) pass
LAST = 130  # minutes of readings in all: the second hour ends at 120


class Run:
    """The test city read minute by minute, rolled up by engines that share a clock."""

    def __init__(self, influx: InfluxServer, tmp_path: Path, every_s: float = 300) -> None:
        now = int(time.time() * 1000)
        self.start = now - now % city.HOUR - 3 * city.HOUR
        raw, public = fresh_db(influx, "raw"), fresh_db(influx, "pub")
        self.by_minute: dict[int, list[Point]] = {}
        for p in city.readings(self.start, LAST):
            self.by_minute.setdefault(_site_and_minute(p, self.start)[1], []).append(p)
        city.write_on_time(influx.url, raw, [p for m in range(HISTORY) for p in self.by_minute[m]])
        tmp_path.mkdir(parents=True, exist_ok=True)
        sites = city.write_sites(tmp_path)
        self.c = RolledCity(influx.url, raw, public, sites, self.start, now, InfluxQL(influx.url))
        self.settings = RollupSettings(
            config=sites, influx_url=influx.url, influx_bucket=raw, influx_public_bucket=public,
            lookback_s=4 * 3600, live_lookback_s=4 * 3600,
            state_path=tmp_path / "state" / "rollup.pickle", state_every_s=every_s,
        )  # fmt: skip
        self.now = self.start + HISTORY * city.MINUTE + 2_000

    def engine(self, snapshots: bool = True) -> Engine:
        """A rollup process's engine, started now (its snapshots on the test's clock)."""
        engine = build_engine(self.settings, load_registry(self.c.sites))
        engine.clock = lambda: self.now / 1000
        if engine.snapshots is not None:
            engine.snapshots = Snapshots(
                engine.snapshots.path,
                self.settings.state_every_s,
                clock=lambda: self.now / 1000,
                owner=engine.snapshots.owner,
            )
        if not snapshots:
            engine.snapshots = None
        return engine

    def minutes(self, engine: Engine, minutes: range) -> list[tuple[int, int]]:
        """Each minute's readings arrive, then a pass: (touched, resumed) per pass."""
        out = []
        for minute in minutes:
            city.write_on_time(self.c.url, self.c.raw, self.by_minute[minute])
            self.now = self.start + (minute + 1) * city.MINUTE + 2_000
            report = engine.run_pass()
            assert not report.full
            out.append((report.touched_sites, report.resumed_sites))
        return out


def _without_restart(influx: InfluxServer, tmp_path: Path) -> list[tuple[int, int]]:
    """(touched, resumed) of each pass of one process that runs through every minute."""
    run = Run(influx, tmp_path)
    engine = run.engine(snapshots=False)
    assert engine.run_pass().full
    passes = run.minutes(engine, range(HISTORY, LAST))
    run.c.ql.close()
    return passes


def test_a_restart_after_a_clean_shutdown_resumes_as_if_it_had_not_stopped(
    rollup_influx: InfluxServer, tmp_path: Path
) -> None:
    """Stopped after the pass of minute 80 and started again: every pass after it
    resumes the sites one process running through would, and brute force holds.
    Without the snapshot the first pass after the restart resumes none."""
    steady = _without_restart(rollup_influx, tmp_path / "steady")
    run = Run(rollup_influx, tmp_path)
    first = run.engine()
    assert first.run_pass().full
    run.minutes(first, range(HISTORY, 80))
    first.save_states()  # stopped: its last pass's states written
    assert first.snapshots is not None and first.snapshots.path.exists()
    after = run.minutes(run.engine(), range(80, LAST))
    assert after == steady[80 - HISTORY :]
    assert after[0][1] > 0
    _assert_equals_brute_force(run.c)
    run.c.ql.close()
    without = Run(rollup_influx, tmp_path / "without")
    first = without.engine(snapshots=False)
    first.run_pass()
    without.minutes(first, range(HISTORY, 80))
    ((touched, resumed),) = without.minutes(without.engine(snapshots=False), range(80, 81))
    assert touched == after[0][0] and resumed == 0
    without.c.ql.close()


def test_a_crash_between_two_saves_feeds_the_passes_after_the_save_again(
    rollup_influx: InfluxServer, tmp_path: Path
) -> None:
    """Saved every seven minutes; the process dies six passes after a save, across an
    hour's end. The new one takes the markers from the snapshot's time again: the
    readings those passes took are fed to the saved states (not skipped, which would
    put the last minutes of the hour into the next one; not counted twice), and brute
    force holds."""
    steady = _without_restart(rollup_influx, tmp_path / "steady")
    run = Run(rollup_influx, tmp_path, every_s=420)
    first = run.engine()
    assert first.run_pass().full
    run.minutes(first, range(HISTORY, 122))
    assert first.snapshots is not None
    first.snapshots.wait()
    saved = first.snapshots.load()
    assert saved is not None
    cursor = first.source.arrival_cursor(run.now - 3_600_000, run.now)
    assert cursor is not None and cursor[0] - saved.until_ms == 6 * city.MINUTE
    assert saved.until_ms < run.start + 120 * city.MINUTE < cursor[0]  # the hour ended between
    after = run.minutes(run.engine(), range(122, LAST))  # killed: nothing saved at its end
    (touched, resumed), (touched_steady, resumed_steady) = after[0], steady[122 - HISTORY]
    assert touched >= touched_steady and resumed >= resumed_steady > 0
    assert after[1:] == steady[123 - HISTORY :]
    _assert_equals_brute_force(run.c)
    run.c.ql.close()


def test_a_snapshot_that_does_not_belong_to_the_cursor_or_registry_is_not_taken(
    rollup_influx: InfluxServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    run = Run(rollup_influx, tmp_path)
    first = run.engine()
    assert first.run_pass().full
    run.minutes(first, range(HISTORY, 70))
    first.save_states()
    snaps = first.snapshots
    assert snaps is not None
    good = snaps.load()
    assert good is not None
    # Saved after a pass whose cursor never got stored (InfluxDB failed at its end).
    snaps.save(
        Saved(good.until_ms + 60_000, good.fingerprint, good.states, good.site_last, good.quiet)
    )
    with caplog.at_level(logging.INFO, "collector.rollup"):
        ((_t, resumed),) = run.minutes(run.engine(), range(70, 71))
    assert resumed == 0 and "newer than the arrival cursor" in caplog.text
    # Saved under another registry (a site moved, rules changed): not taken either.
    snaps.save(Saved(good.until_ms, "another", good.states, good.site_last, good.quiet))
    caplog.clear()
    with caplog.at_level(logging.INFO, "collector.rollup"):
        ((_t, resumed),) = run.minutes(run.engine(), range(71, 72))
    assert resumed == 0 and "another registry" in caplog.text
    run.minutes(run.engine(), range(72, LAST))
    _assert_equals_brute_force(run.c)
    run.c.ql.close()


def test_the_process_saves_its_states_when_stopped_and_takes_them_when_started(
    rollup_influx: InfluxServer, tmp_path: Path
) -> None:
    """The real process: SIGTERM ends the loop after its pass and writes the states;
    the next process's first pass takes them (its log says how many meters)."""
    c = write_city(rollup_influx, tmp_path, hours_before=1)
    path = tmp_path / "state" / "rollup.pickle"
    argv = python_m("collector", "rollup", "--verbose")
    argv += flags(
        config=c.sites, influx_url=c.url, influx_bucket=c.raw, influx_public_bucket=c.public,
        interval=0.5,
    )  # fmt: skip
    env = {"ENERGY_STATE_PATH": str(path)}

    def passes() -> int:
        rows = c.ql.rows(f"SELECT count(until_ms) FROM {rollup_from('rollup_watermark')}", c.raw)
        return rows[0]["count"] if rows else 0

    log = tmp_path / "first.log"
    proc = start_logged(argv, log, env=child_env(env))
    try:
        assert true_within(lambda: passes() >= 2, 60, 0.3)
    finally:
        assert stop(proc, timeout=30) == 0
    saved = Snapshots(path, 60, owner=f"{c.url} {c.raw}").load()
    assert saved is not None and saved.states, log.read_text()
    assert f"meter states of {len(saved.states)} meters saved" in log.read_text()
    log = tmp_path / "second.log"
    proc = start_logged(argv, log, env=child_env(env))
    try:
        assert true_within(lambda: "meter states of" in log.read_text(), 60, 0.3)
    finally:
        assert stop(proc, timeout=30) == 0
    assert f"meter states of {len(saved.states)} meters taken from {path}" in log.read_text()
    c.ql.close()
