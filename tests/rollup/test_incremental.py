"""Regular passes recompute only what arrived (arrival markers), and still equal brute force.

Each scenario: a first pass of the real process recomputes everything (no
arrival cursor yet); readings written later with their arrival markers, as
the collector writes them, are taken by the next pass, which must not be a
full one, and the rollups then equal the brute force over all raw readings.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from influxdb_client import Point

from collector.rollup.cli import build_engine
from collector.rollup.engine import Engine
from collector.rollup.settings import RollupSettings
from devstack import InfluxServer
from telemetry.fields import Utility
from telemetry.influx_schema import rollup_from
from telemetry.influxql import InfluxQL
from telemetry.registry import load_registry
from tests.rollup import brute, city
from tests.rollup.conftest import RolledCity, fresh_db, run_rollup, write_city

pytestmark = pytest.mark.timeout(180)

DROPPED_SITE = "ind-3"
DROPPED = range(40, 75)  # minutes of the batch lost, across an hour boundary


def _site_and_minute(p: Point, start_ms: int) -> tuple[str, int]:
    site, ts = city.site_and_ts(p)
    return site, (ts - start_ms) // city.MINUTE


def _assert_equals_brute_force(c: RolledCity) -> None:
    expected = brute.hourly_consumption(c.ql, c.raw)
    got = brute.stored(c.ql, c.raw, "consumption_1h", "consumption")
    assert set(got) == set(expected)
    for key, value in expected.items():
        assert got[key]["consumption"] == pytest.approx(value, rel=1e-9, abs=1e-6), key
    live = brute.live(c.ql, c.raw)
    stored_live = brute.stored(c.ql, c.raw, "live_1m", "rate, meters")
    assert set(stored_live) == set(live)
    for key, (rate, meters) in live.items():
        assert (stored_live[key]["rate"], stored_live[key]["meters"]) == (
            pytest.approx(rate),
            meters,
        ), key
    days = brute.stored(c.ql, c.raw, "consumption_1d", "consumption")
    summed: dict[tuple, float] = {}
    for (*group, ts), row in got.items():
        key = (*group, ts - (ts + 9 * city.HOUR) % (24 * city.HOUR))
        summed[key] = summed.get(key, 0.0) + row["consumption"]
    assert set(days) == set(summed)
    for key, value in summed.items():
        assert days[key]["consumption"] == pytest.approx(value), key


def _incremental(done: object) -> None:
    out = done.stdout  # type: ignore[attr-defined]
    assert "(full)" not in out and "arrival markers" in out, out


def test_a_dropped_batch_reconciled_later_lands_in_its_hours(
    rollup_influx: InfluxServer, tmp_path: Path
) -> None:
    now = int(time.time() * 1000)
    start = now - now % city.HOUR - 2 * city.HOUR
    minutes = (now - start) // city.MINUTE
    raw, public = fresh_db(rollup_influx, "raw"), fresh_db(rollup_influx, "pub")
    points = city.readings(start, int(minutes))
    lost = [p for p in points if _site_and_minute(p, start) in _dropped()]
    kept = [p for p in points if _site_and_minute(p, start) not in _dropped()]
    assert lost
    city.write_on_time(rollup_influx.url, raw, kept)
    sites = city.write_sites(tmp_path)
    c = RolledCity(rollup_influx.url, raw, public, sites, start, now, InfluxQL(rollup_influx.url))
    assert "(full)" in c.rollup().stdout
    _assert_equals_brute_force(c)
    before = _hours_of(c, DROPPED_SITE)

    # The batch comes back (an outbox replay, a re-read): stamped as arriving now.
    city.write_arrived(c.url, c.raw, lost)
    done = run_rollup(c.url, c.raw, c.public, c.sites, "--lookback", "600", "--live-lookback", "60")
    _incremental(done)
    _assert_equals_brute_force(c)
    after = _hours_of(c, DROPPED_SITE)
    spec = next(m for m in city.meters() if m.site == DROPPED_SITE)
    hour_1 = start + city.HOUR  # minutes 60..119: the gap's second part
    # Before: the readings after the gap carried its use into the hour after it.
    assert before[hour_1] != pytest.approx(spec.rate)
    assert after[hour_1] == pytest.approx(spec.rate)
    assert sum(after.values()) == pytest.approx(sum(before.values()))
    c.ql.close()


def _dropped() -> set[tuple[str, int]]:
    return {(DROPPED_SITE, m) for m in DROPPED}


def _hours_of(c: RolledCity, site: str) -> dict[int, float]:
    rows = c.ql.rows(
        f"SELECT consumption FROM {rollup_from('meter_consumption_1h')} WHERE site = '{site}'",
        c.raw,
        epoch="ms",
    )
    return {r["time"]: r["consumption"] for r in rows}


def test_a_reset_settled_by_later_readings_counts_in_the_earlier_hour(
    rollup_influx: InfluxServer, tmp_path: Path
) -> None:
    """The suspect reading ends one hour; the readings that confirm it as a reset arrive
    in the next hour, in a later pass that recomputes only that hour: the earlier one
    is recomputed too."""
    c = write_city(rollup_influx, tmp_path, hours_before=0)  # empty but for this hour
    spec = city.MeterSpec(
        "ind-1", "late-elec", "electricity", *city.INDUSTRIAL_DONG, "industrial", 30.0, 0.0
    )
    hour = c.start_ms - 2 * city.HOUR
    values = {m: 1000.0 + 0.5 * m for m in range(50, 59)} | {59: 3.0}
    values |= {m: 3.0 + 0.5 * (m - 59) for m in range(60, 65)}

    def write(minutes: range, arrived_ms: int | None = None) -> None:
        pts = [city.point(spec, hour + m * city.MINUTE, values[m], 30.0, "good") for m in minutes]
        city.write_arrived(c.url, c.raw, pts, arrived_ms)

    # Arrived well before the first pass (outside the next pass's slack).
    write(range(50, 60), int(time.time() * 1000) - 10 * city.MINUTE)
    c.rollup()
    first = _meter_hour(c, hour)
    assert (first["consumption"], first["pending"], first["resets"]) == (4.0, 1, 0)
    write(range(60, 65))
    _incremental(c.rollup())
    settled = _meter_hour(c, hour)
    assert (settled["consumption"], settled["pending"], settled["resets"]) == (7.0, 0, 1)
    assert _meter_hour(c, hour + city.HOUR)["consumption"] == pytest.approx(2.5)
    _assert_equals_brute_force(c)
    c.ql.close()


def _fail_after(engine: Engine, writes: int) -> None:
    """The engine's sink fails after `writes` more writes, once: in its writer thread
    (sink.py), so the failure reaches the pass at its next read or cursor."""
    real, left = engine.sink._store, [writes]

    def store(bucket: str, points: list[str]) -> None:
        left[0] -= 1
        if left[0] < 0:
            engine.sink._store = real  # type: ignore[method-assign]
            raise OSError("InfluxDB went away")
        real(bucket, points)

    engine.sink._store = store  # type: ignore[method-assign]


def _meter_hour(c: RolledCity, ts: int) -> dict:
    rows = c.ql.rows(
        f"SELECT consumption, pending, resets FROM {rollup_from('meter_consumption_1h')} "
        f"WHERE meter = 'late-elec' AND time = {ts}ms",
        c.raw,
    )
    assert len(rows) == 1, rows
    return rows[0]


@pytest.mark.parametrize("hand_over", ["every", "none", "some"])
def test_passes_every_minute_resume_each_meter_and_equal_brute_force(
    rollup_influx: InfluxServer, tmp_path: Path, hand_over: str
) -> None:
    """One rollup process, a pass after each minute's readings arrive: the meters
    resume from their kept state (the city's replacement, glitches and spikes
    settle across passes) and the rollups equal brute force over the raw readings.
    The markers carry their readings (`every`, as the collector's do), none of them
    (the pass reads the store by time), or only some minutes' (both, pass by pass)."""
    now = int(time.time() * 1000)
    start = now - now % city.HOUR - 3 * city.HOUR
    raw, public = fresh_db(rollup_influx, "raw"), fresh_db(rollup_influx, "pub")
    by_minute: dict[int, list[Point]] = {}
    for p in city.readings(start, 130):
        by_minute.setdefault(_site_and_minute(p, start)[1], []).append(p)
    history = [p for m in range(60) for p in by_minute[m]]
    city.write_on_time(rollup_influx.url, raw, history)
    c = RolledCity(
        rollup_influx.url,
        raw,
        public,
        city.write_sites(tmp_path),
        start,
        now,
        InfluxQL(rollup_influx.url),
    )
    settings = RollupSettings(
        config=c.sites,
        influx_url=c.url,
        influx_bucket=raw,
        influx_public_bucket=public,
        lookback_s=4 * 3600,
        live_lookback_s=4 * 3600,  # the first (full) pass covers the history's live minutes
    )
    engine = build_engine(settings, load_registry(c.sites))
    clock = [start + 60 * city.MINUTE + 2_000]
    engine.clock = lambda: clock[0] / 1000
    assert engine.run_pass().full
    by_time = _count_reads_by_time(engine)
    resumed = 0
    for minute in range(60, 130):
        carried = hand_over == "every" or (hand_over == "some" and minute % 7 != 3)
        city.write_on_time(c.url, raw, by_minute[minute], hand_over=carried)
        clock[0] = start + (minute + 1) * city.MINUTE + 2_000
        if minute == 100:  # InfluxDB fails halfway through a pass
            _fail_after(engine, writes=2)
            with pytest.raises(OSError):
                engine.run_pass()
        report = engine.run_pass()
        assert not report.full and report.touched_sites > 0
        resumed += report.resumed_sites
    assert resumed > 60 * len(city.SCHOOLS)  # most sites resumed in most passes
    # Every meter's readings by time: each pass without markers that carry them; with,
    # once to know each utility's recent rates in full, and after the failed pass.
    # Each utility's readings by time: every pass without markers that carry them; with
    # them, only to know the recent rates in full (the first pass, then after the failed one).
    reads, n = by_time["new"] + by_time["named"], len(Utility)
    without = sum(1 for m in range(60, 130) if m % 7 == 3)
    if hand_over == "every":
        assert reads <= 2 * n and 0 < by_time["rates"] <= 2 * n, by_time
    elif hand_over == "none":
        assert reads >= 70 * n and by_time["rates"] >= 70 * n, by_time
    else:
        assert without * n <= reads <= (without + 2) * n, by_time
    _assert_equals_brute_force(c)
    # Group cells kept between passes publish what a full recompute would.
    for measurement in ("live_1m", "consumption_1h", "consumption_1d"):
        public = brute.stored(c.ql, c.public, measurement, "*", public=True)
        private = brute.stored(c.ql, c.raw, measurement, "*")
        assert public and all(row == private[key] for key, row in public.items())
        assert not [k for k in public if city.SUPPRESSED_DISTRICT in k or k[3] == "detached_house"]
        assert not [k for k in public if k[1] == city.SCHOOL_DONG[0]]  # complementary
    c.ql.close()


def _count_reads_by_time(engine: Engine) -> dict[str, int]:
    """How often a pass asks InfluxDB for every meter's readings in a time window:
    the new readings (counters with rates), or the live minutes' rates alone."""
    source, counts = engine.source, {"new": 0, "named": 0, "rates": 0}
    recent, rates, named = source.recent_readings, source._rates, source.counter_readings

    def counted_recent(*args, **kwargs):  # type: ignore[no-untyped-def]
        counts["new"] += 1
        return recent(*args, **kwargs)

    def counted_named(*args, **kwargs):  # type: ignore[no-untyped-def]
        counts["named"] += 1
        return named(*args, **kwargs)

    def counted_rates(*args, **kwargs):  # type: ignore[no-untyped-def]
        counts["rates"] += 1
        return rates(*args, **kwargs)

    source.recent_readings, source._rates = counted_recent, counted_rates  # type: ignore[method-assign]
    source.counter_readings = counted_named  # type: ignore[method-assign]
    return counts


NEWCOMERS = (*city.HOUSEHOLDS, *city.SCHOOLS)  # their first readings come after the full pass


def test_sites_first_heard_after_a_full_pass_resume_from_known_silence(
    rollup_influx: InfluxServer, tmp_path: Path
) -> None:
    """A full pass reads every meter: the sites it hears nothing of, in its window and a
    bridge before it, are known silent. Their first readings after it start from no
    context, as a recompute from raw readings would, without reading any (a city's
    first read interval, when every site is new, ran one recompute query after another).
    The rollups equal brute force either way."""
    now = int(time.time() * 1000)
    start = now - now % city.HOUR - 3 * city.HOUR
    raw, public = fresh_db(rollup_influx, "raw"), fresh_db(rollup_influx, "pub")
    points = city.readings(start, 69)
    heard = [p for p in points if city.site_and_ts(p)[0] not in NEWCOMERS]
    history = [p for p in heard if city.site_and_ts(p)[1] < start + 60 * city.MINUTE]
    later = [p for p in heard if city.site_and_ts(p)[1] >= start + 60 * city.MINUTE] + [
        p
        for p in points
        if city.site_and_ts(p)[0] in NEWCOMERS
        and city.site_and_ts(p)[1] >= start + 61 * city.MINUTE  # after the full pass
    ]
    city.write_on_time(rollup_influx.url, raw, history)
    sites = city.write_sites(tmp_path)
    c = RolledCity(rollup_influx.url, raw, public, sites, start, now, InfluxQL(rollup_influx.url))
    settings = RollupSettings(
        config=sites, influx_url=c.url, influx_bucket=raw, influx_public_bucket=public,
        lookback_s=4 * 3600, live_lookback_s=4 * 3600,
    )  # fmt: skip
    engine = build_engine(settings, load_registry(sites))
    engine.clock = lambda: (start + 60 * city.MINUTE + 2_000) / 1000
    assert engine.run_pass().full
    assert set(NEWCOMERS) <= set(engine.computer.quiet)
    assert not set(engine.computer.quiet) & {city.site_and_ts(p)[0] for p in history}
    city.write_arrived(c.url, raw, later, start + 69 * city.MINUTE)
    engine.clock = lambda: (start + 69 * city.MINUTE + 30_000) / 1000
    report = engine.run_pass()
    assert not report.full and report.touched_sites == len({m.site for m in city.meters()})
    assert report.resumed_sites == report.touched_sites  # none recomputed from raw
    assert not set(engine.computer.quiet) & set(NEWCOMERS)
    _assert_equals_brute_force(c)
    c.ql.close()
