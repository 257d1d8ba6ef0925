"""The wire contract and the meter limit through the real collector (Mosquitto + InfluxDB).

Issue 10: one message with `seq` = 2^70 once broke every later `collector_stats`
line until a restart; a buggy agent could create series without limit.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from devstack import InfluxServer, MosquittoServer
from telemetry.models import Reading, ReadingBatch
from telemetry.registry import load_registry
from telemetry.topics import readings_topic, status_topic
from tests.collector.helpers import (
    AGENT,
    SITE,
    CollectorProc,
    Publisher,
    StartCollector,
    demo_config,
    influx_rows,
    make_batch,
    recent_t0,
)
from tests.support.processes import run_module
from tests.support.waiting import wait_until

RT = readings_topic(SITE, AGENT)
ST = status_topic(SITE, AGENT)


def _doc(seq: object, ts: datetime, value: object = 1.0, meter: str = "b1-elec") -> dict:
    return {
        "schema": "energy.readings.v1",
        "site": SITE,
        "agent": AGENT,
        "seq": seq,
        "readings": [
            {
                "meter": meter,
                "utility": "electricity",
                "ts": ts.isoformat(),
                "values": {"power_kw": value},
            }
        ],
    }


def _hostile(t0: datetime) -> list[tuple[str, bytes]]:
    """Messages that once got through, or push every number to its bound."""
    enc = lambda d: json.dumps(d).encode()  # noqa: E731
    ts = lambda i: t0 + timedelta(seconds=i)  # noqa: E731
    missing_schema = _doc(5, ts(5))
    del missing_schema["schema"]
    phantoms = make_batch(SITE, AGENT, 9, 300, t0, meter_prefix="ghost-").to_json()
    return [
        *[(RT, enc(_doc(2**70 + i, ts(i)))) for i in range(5)],
        (RT, enc(_doc("7", ts(1)))),
        (RT, enc(_doc(3, ts(2), value="12.5"))),
        (RT, enc(missing_schema)),
        (RT, enc(_doc(0, ts(10)))),
        (RT, enc(_doc(2**53 - 1, ts(11)))),  # valid: a jump forward, a new baseline
        (RT, enc(_doc(1, ts(12)))),  # valid: far back, a new baseline again
        (RT, enc(_doc(2, ts(13), value=1.7976931348623157e308))),
        (RT, json.dumps(_doc(3, ts(14), value=float("nan"))).encode()),
        (RT, enc(_doc(4, ts(15))).replace(b"1.0", b"1e400")),
        (RT, phantoms),  # 300 new meters: past the margin of 100
        (ST, enc({"state": "online", "outbox_depth": 2**70})),
        (ST, enc({"state": "online", "meters": "5"})),
        (ST, enc({"state": "online", "dropped_batches": 2**53 - 1, "outbox_oldest_age_s": 1e308})),
    ]


def _stats_points(url: str, db: str) -> int:
    rows = influx_rows(url, 'SELECT count("messages") FROM "collector_stats"', db)
    return int(rows[0]["count"]) if rows else 0


def _rejected_by_reason(url: str, db: str) -> dict[str, int]:
    rows = influx_rows(url, 'SELECT count("count") FROM "rejected" GROUP BY "reason"', db)
    return {r["reason"]: int(r["count"]) for r in rows}


@pytest.mark.timeout(120)
def test_hostile_mix_never_stops_collector_stats(
    tmp_path: Path,
    broker: MosquittoServer,
    influx_srv: InfluxServer,
    db: str,
    start_collector: StartCollector,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ENERGY_STATS_INTERVAL_S", "0.5")
    col = start_collector("hostile")
    pub = Publisher(broker.host, broker.port)
    t0 = recent_t0()
    for topic, payload in _hostile(t0):
        pub.publish(topic, payload)
    wait_until(
        lambda: col.metrics().get('collector_messages_total{kind="readings"}', 0) >= 14,
        20,
        "mix read",
    )
    before = _stats_points(influx_srv.url, db)
    # Stats keep arriving after the mix (every 0.5 s here), and a valid batch still flows.
    pub.batch(
        ReadingBatch(site=SITE, agent=AGENT, seq=5, readings=[_reading(t0 + timedelta(seconds=30))])
    )
    wait_until(
        lambda: _stats_points(influx_srv.url, db) >= before + 6, 30, "stats points after the mix"
    )
    rejected = _rejected_by_reason(influx_srv.url, db)
    assert "influx_rejected" not in rejected, (rejected, col.log_tail())
    assert rejected == {"schema": 12, "unknown_meter_limit": 1}, rejected
    last = influx_rows(influx_srv.url, 'SELECT last(*) FROM "collector_stats"', db)[0]
    assert last["last_seq_resets"] == 2
    assert 0 <= last["last_seq_gaps"] < 2**63
    assert last["last_meter_readings_refused"] == 300 - 100
    stored = influx_rows(
        influx_srv.url,
        'SELECT count("power_kw") FROM "electricity" WHERE "meter" = \'b1-elec\'',
        db,
    )
    assert int(stored[0]["count"]) == 5  # seq 0, 2^53-1, 1, the float max, the one after the mix
    assert col.alive(), col.log_tail()
    pub.close()


def _reading(ts: datetime, meter: str = "b1-elec") -> Reading:
    return Reading(meter=meter, utility="electricity", ts=ts, values={"power_kw": 2.0})


def _ghost_batch(seq: int, t0: datetime, first: int, n: int) -> ReadingBatch:
    """n readings of new meters ghost-NNNNN, plus one of a listed meter."""
    ts = t0 + timedelta(seconds=seq)
    readings = [_reading(ts, f"ghost-{i:05d}") for i in range(first, first + n)]
    return ReadingBatch(site=SITE, agent=AGENT, seq=seq, readings=[_reading(ts), *readings])


def _meters_of(url: str, db: str) -> set[str]:
    rows = influx_rows(url, f'SHOW TAG VALUES WITH KEY = "meter" WHERE "site" = \'{SITE}\'', db)
    return {r["value"] for r in rows}


@pytest.mark.timeout(180)
def test_ten_thousand_new_meters_create_at_most_the_margin(
    tmp_path: Path,
    broker: MosquittoServer,
    influx_srv: InfluxServer,
    db: str,
    collectors: list[CollectorProc],
) -> None:
    margin, per, batches = 50, 500, 20
    config = demo_config(tmp_path, meter_margin=margin)
    listed = load_registry(config).sites[SITE].listed_meters
    col = CollectorProc(
        tmp_path, broker.url, influx_srv.url, db, "ghosts", ["--config", str(config)]
    )
    collectors.append(col.start())
    pub = Publisher(broker.host, broker.port)
    t0 = recent_t0()
    for seq in range(batches):
        pub.batch(_ghost_batch(seq, t0, seq * per, per))
    refused_key = "collector_meter_readings_refused_total"
    wait_until(lambda: col.metrics().get(refused_key, 0) >= per * batches - margin, 60, "refusals")
    wait_until(
        lambda: len(_meters_of(influx_srv.url, db)) >= margin + 1, 20, "admitted meters stored"
    )
    m = col.metrics()
    assert m[refused_key] == per * batches - margin
    assert m["collector_meters_admitted_total"] == margin
    assert m['collector_rejected_total{reason="unknown_meter_limit"}'] == batches
    meters = _meters_of(influx_srv.url, db)
    assert meters == {"b1-elec"} | {f"ghost-{i:05d}" for i in range(margin)}
    series = influx_rows(influx_srv.url, "SHOW SERIES", db)
    ghost_series = [s for s in series if "meter=ghost-" in s["key"]]
    print(
        f"\n10,000 new meter ids, margin {margin}: {len(ghost_series)} new series, "
        f"{int(m[refused_key])} readings refused in {batches} rejected records"
    )
    assert len(ghost_series) == margin
    # Rejected records are written after the refusal is counted: wait for the last one.
    wait_until(
        lambda: _rejected_by_reason(influx_srv.url, db).get("unknown_meter_limit", 0) >= batches,
        20,
        "rejected records",
    )
    assert _rejected_by_reason(influx_srv.url, db) == {"unknown_meter_limit": batches}
    assert listed  # the listed meters keep their place: b1-elec stored every batch
    b1 = influx_rows(
        influx_srv.url,
        'SELECT count("power_kw") FROM "electricity" WHERE "meter" = \'b1-elec\'',
        db,
    )
    assert int(b1[0]["count"]) == batches

    # A restarted collector reads the stored meters: no new room, old ghosts known.
    assert col.terminate() == 0
    col.start()
    pub.batch(_ghost_batch(batches, t0, 10_000, 100))
    pub.batch(
        ReadingBatch(
            site=SITE, agent=AGENT, seq=batches + 1, readings=[_reading(t0, "ghost-00000")]
        )
    )
    wait_until(lambda: col.metrics().get(refused_key, 0) >= 100, 20, "refusals after restart")
    wait_until(lambda: col.metrics().get("collector_readings_written_total", 0) >= 2, 20, "writes")
    assert col.metrics().get("collector_meters_admitted_total", 0) == 0
    assert len(_meters_of(influx_srv.url, db)) == margin + 1
    pub.close()

    out = _meters_cli(config, influx_srv.url, db, "--site", SITE)
    first_seen = [row for row in out.splitlines() if "first seen" in row]
    assert len(first_seen) == margin, out
    heading = (
        f"{SITE}: {margin + 1} meters stored, {len(listed)} listed, limit {len(listed) + margin}"
    )
    assert f"{heading}; {margin} not in the registry" in out, out
    assert "ghost-00000" in out and "b1-elec" not in out
    listed_out = _meters_cli(config, influx_srv.url, db, "--listed")
    assert "b1-elec" in listed_out and "listed" in listed_out


def _meters_cli(config: Path, influx_url: str, db: str, *args: str) -> str:
    argv = ["--config", str(config), "--influx-url", influx_url, "--influx-bucket", db, *args]
    done = run_module("collector", "meters", *argv, timeout=60)
    done.check_returncode()
    return done.stdout
