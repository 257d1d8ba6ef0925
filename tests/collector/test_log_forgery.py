"""A payload cannot forge the collector's log: text from the wire (field
names, meter ids, topics) with line breaks or control characters stays inside
one JSON record, whatever reader splits the log into lines."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from devstack import InfluxServer, MosquittoServer
from telemetry.topics import readings_topic
from tests.collector.helpers import AGENT, SITE, Publisher, StartCollector
from tests.support.waiting import wait_until

FORGED = '2026-01-01 00:00:00 ERROR forged {"level": "error"}'
# Every character some reader takes as the end of a line.
BREAKS = ["\n", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029"]


def _batch(meter: str, field: str, seq: int) -> bytes:
    ts = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    reading = {"meter": meter, "utility": "electricity", "ts": ts, "values": {field: 1.0}}
    doc = {"schema": "energy.readings.v1", "site": SITE, "agent": AGENT, "seq": seq}
    return json.dumps({**doc, "readings": [reading]}).encode()


def test_no_payload_text_breaks_a_log_record(
    tmp_path: Path,
    broker: MosquittoServer,
    influx_srv: InfluxServer,
    db: str,
    start_collector: StartCollector,
) -> None:
    col = start_collector("forgery")
    pub = Publisher(broker.host, broker.port)
    topic = readings_topic(SITE, AGENT)
    messages = []
    for br in BREAKS:
        messages += [
            (topic, _batch("m1", f"power_kw{br}{FORGED}", len(messages))),
            (topic, _batch(f"m1{br}{FORGED}", "power_kw", len(messages) + 1)),
            (topic, f"not json{br}{FORGED}".encode()),
        ]
        if ord(br[0]) > 0x9F:  # Mosquitto refuses topics with control characters
            messages.append((f"energy/v1/{SITE}{br}{FORGED}/{AGENT}/readings", _batch("m", "f", 0)))
    messages.append((topic, _batch("m1", "power_kw", 10_000)))  # one good batch
    for t, payload in messages:
        pub.publish(t, payload)
    pub.close()

    def rejected() -> float:
        return sum(v for k, v in col.metrics().items() if k.startswith("collector_rejected_total"))

    wait_until(lambda: rejected() >= len(messages) - 1, 30, f"rejections\n{col.log_tail()}")
    assert col.terminate() == 0

    records = []
    for line in col.log_path.read_text(encoding="utf-8").splitlines():
        if line.startswith("--- start "):  # the test harness's own marker
            continue
        record = json.loads(line)  # a forged or split line fails here
        assert {"ts", "level", "component", "logger", "msg"} <= record.keys(), line
        records.append(record)
    forged = [r["msg"] for r in records if FORGED in r["msg"]]
    # The payloads' text is logged, escaped within its record, not dropped.
    assert len(forged) >= len(BREAKS), [r["msg"] for r in records]
    assert all(r["component"] == "collector" for r in records)
