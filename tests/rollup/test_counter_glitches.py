"""Bad counter reads through the real collector and one real rollup pass.

One hour of minute readings rising 0.5 kWh a minute (59 steps: 29.5 kWh),
published over MQTT as an agent would, stored by `python -m collector run`,
rolled up by `python -m collector rollup --once`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from devstack import InfluxServer, MosquittoServer
from telemetry.influx_schema import rollup_from
from telemetry.influxql import InfluxQL
from telemetry.models import Quality, Reading, ReadingBatch
from tests.collector.helpers import AGENT, REPO, SITE, CollectorProc, Publisher
from tests.rollup import city
from tests.rollup.conftest import fresh_db, run_rollup
from tests.support.waiting import wait_until

pytestmark = pytest.mark.timeout(180)

HOUR_S = 3600
STEADY = [1000.0 + 0.5 * i for i in range(60)]
SERIES = {
    "steady": STEADY,
    "one-zero": [0.0 if i == 30 else v for i, v in enumerate(STEADY)],
    "one-high": [50000.0 if i == 30 else v for i, v in enumerate(STEADY)],
    # A replaced meter: from minute 30 the counter restarts at 3.0 and continues.
    "replaced": STEADY[:30] + [3.0 + 0.5 * i for i in range(30)],
}
TRUTH = {"steady": 29.5, "one-zero": 29.5, "one-high": 29.5, "replaced": 14.5 + 3.0 + 14.5}


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[MosquittoServer]:
    server = MosquittoServer(tmp_path / "mosquitto")
    server.start()
    yield server
    server.stop()


def _batches(hour: datetime) -> list[ReadingBatch]:
    return [
        ReadingBatch(
            site=SITE,
            agent=AGENT,
            seq=minute,
            readings=[
                Reading(
                    meter=f"glitch-{name}",
                    utility="electricity",
                    ts=hour + timedelta(minutes=minute),
                    values={"energy_kwh": values[minute], "power_kw": 30.0},
                    quality=Quality.GOOD,
                )
                for name, values in SERIES.items()
            ],
        )
        for minute in range(60)
    ]


def test_glitches_and_spikes_are_no_consumption_and_a_reset_counts_once(
    tmp_path: Path, broker: MosquittoServer, influx: InfluxServer
) -> None:
    raw, public = fresh_db(influx, "raw"), fresh_db(influx, "pub")
    collector = CollectorProc(tmp_path, broker.url, influx.url, raw, "glitches").start()
    try:
        now = datetime.now(UTC)
        hour = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
        pub = Publisher(broker.host, broker.port)
        for batch in _batches(hour):
            pub.batch(batch)
        pub.close()
        ql = InfluxQL(influx.url)
        count = "SELECT count(energy_kwh) FROM electricity"
        wait_until(lambda: _first(ql.rows(count, raw), "count") == 240, 30, "240 readings stored")
        arrived = "SELECT sum(readings) FROM arrivals"
        wait_until(lambda: _first(ql.rows(arrived, raw), "sum") == 240, 30, "arrival markers")
    finally:
        collector.terminate()
    # The collector's arrival markers name the site and its readings' time span.
    markers = ql.rows("SELECT site, t0_ms, t1_ms FROM arrivals", raw, epoch="ms")
    hour_start = int(hour.timestamp() * 1000)
    assert {m["site"] for m in markers} == {SITE}
    assert min(m["t0_ms"] for m in markers) == hour_start
    assert max(m["t1_ms"] for m in markers) == hour_start + 59 * 60_000
    sites = REPO / "config" / "sites" / "demo.yaml"
    run_rollup(influx.url, raw, public, sites, "--lookback", str(3 * HOUR_S))
    hour_ms = int(hour.timestamp() * 1000)
    rows = ql.rows(
        f"SELECT consumption, resets, glitches, spikes FROM {rollup_from('meter_consumption_1h')} "
        f"WHERE time = {hour_ms}ms GROUP BY meter",
        raw,
    )
    got = {r["meter"].removeprefix("glitch-"): r for r in rows}
    assert set(got) == set(SERIES)
    for name, truth in TRUTH.items():
        assert got[name]["consumption"] == pytest.approx(truth, abs=1e-9), name
    counts = {n: (r["resets"], r["glitches"], r["spikes"]) for n, r in got.items()}
    assert counts == {
        "steady": (0, 0, 0),
        "one-zero": (0, 1, 0),
        "one-high": (0, 0, 1),
        "replaced": (1, 0, 0),
    }
    events = ql.rows(
        f"SELECT kind, value FROM {rollup_from('counter_events')} GROUP BY meter", raw, epoch="ms"
    )
    assert sorted((e["meter"], e["kind"], e["value"]) for e in events) == [
        ("glitch-one-high", "spike", 50000.0),
        ("glitch-one-zero", "glitch", 0.0),
        ("glitch-replaced", "reset", 3.0),
    ]
    assert all(e["time"] == hour_ms + 30 * 60_000 for e in events)
    ql.close()


def _first(rows: list[dict], key: str) -> object:
    return rows[0].get(key) if rows else None


def test_a_suspect_last_reading_counts_nothing_until_the_next_pass_settles_it(
    influx: InfluxServer, tmp_path: Path
) -> None:
    """A 0 as the newest reading is pending; readings arriving later make it a glitch."""
    raw, public = fresh_db(influx, "raw"), fresh_db(influx, "pub")
    sites = city.write_sites(tmp_path)
    spec = next(m for m in city.meters() if m.site == "ind-1" and m.utility == "electricity")
    hour_ms = int(time.time() * 1000) // city.HOUR * city.HOUR - city.HOUR
    values = [1000.0 + 0.5 * i for i in range(12)]
    values[9] = 0.0

    def write(minutes: range) -> None:
        points = [
            city.point(spec, hour_ms + i * city.MINUTE, values[i], spec.rate, "good")
            for i in minutes
        ]
        city.write_arrived(influx.url, raw, points)

    def hour() -> dict:
        run_rollup(influx.url, raw, public, sites, "--lookback", str(3 * HOUR_S))
        rows = ql.rows(
            f"SELECT consumption, glitches, pending FROM {rollup_from('meter_consumption_1h')} "
            f"WHERE time = {hour_ms}ms AND site = 'ind-1' AND meter = '{spec.meter}'",
            raw,
        )
        assert len(rows) == 1, rows
        return rows[0]

    ql = InfluxQL(influx.url)
    write(range(10))
    first = hour()
    assert (first["consumption"], first["glitches"], first["pending"]) == (4.0, 0, 1)
    write(range(10, 12))  # e.g. an outbox replayed after the pass
    second = hour()
    assert (second["consumption"], second["glitches"], second["pending"]) == (5.5, 1, 0)
    ql.close()
