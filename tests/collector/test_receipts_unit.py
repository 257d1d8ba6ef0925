"""Receipts in the pipeline, without a broker: answered after the write, before the ack,
only when asked and only under the sender's own receipts prefix."""

from __future__ import annotations

import queue
import threading

from collector.influx_writer import RefusedLine
from collector.pipeline import Pipeline
from collector.stats import Stats
from collector.validate import Limits, Validator
from collector.verdict import Delivery
from telemetry.receipts import BatchReceipt, receipts_topic
from telemetry.registry import load_registry
from telemetry.topics import readings_topic
from tests.collector.helpers import AGENT, REPO, SITE, make_batch, recent_t0

DROPPED = 'HTTP 400: {"error":"partial write: points beyond retention policy dropped=1"}'


class DroppingWriter:
    """InfluxDB that drops the readings of meter m0001 as beyond retention."""

    def write(self, lines: list[str], precision: str, abort: threading.Event) -> list[RefusedLine]:
        return [RefusedLine(x, DROPPED) for x in lines if ",meter=m0001," in x]


def _run(deliveries: list[Delivery]) -> list[tuple[str, int, bytes]]:
    """What the pipeline answered and acked, in order: ("answer"|"ack", mid, payload)."""
    events: list[tuple[str, int, bytes]] = []
    inbox: queue.Queue = queue.Queue()
    p = Pipeline(
        inbox,
        Validator(
            load_registry(REPO / "config" / "sites" / "demo.yaml"), Limits(1 << 20, 300, 1e9)
        ),
        DroppingWriter(),  # type: ignore[arg-type]
        lambda d: events.append(("ack", d.mid, b"")),
        Stats("t"),
        100,
        60.0,
        3600.0,
        respond=lambda d, payload: events.append(("answer", d.mid, payload)),
    )
    for d in deliveries:
        inbox.put(d)
    inbox.put(None)
    p.run()
    return events


def _delivery(mid: int, response_topic: str | None, payload: bytes | None = None) -> Delivery:
    body = payload or make_batch(SITE, AGENT, mid, 3, recent_t0()).to_json()
    topic = readings_topic(SITE, AGENT)
    return Delivery(mid, 1, topic, body, 0.0, 0, response_topic, str(mid).encode())


def test_the_receipt_counts_what_influxdb_dropped_and_comes_before_the_ack() -> None:
    events = _run([_delivery(1, receipts_topic(SITE, AGENT, "imp1"))])
    assert [(kind, mid) for kind, mid, _ in events] == [("answer", 1), ("ack", 1)]
    answer = BatchReceipt.model_validate_json(events[0][2])
    assert answer.seq == 1
    assert {m: (r.stored, r.refused) for m, r in answer.meters.items()} == {
        "m0000": (1, {}),
        "m0001": (0, {"beyond_retention": 1}),
        "m0002": (1, {}),
    }
    assert "beyond retention" in answer.details["beyond_retention"]


def test_a_refused_message_is_answered_with_its_reason_per_meter() -> None:
    bad = b'{"schema": "energy.readings.v1", "readings": [{"meter": "m9"}, {"meter": "m9"}]}'
    events = _run([_delivery(2, receipts_topic(SITE, AGENT, "imp2"), bad)])
    answer = BatchReceipt.model_validate_json(events[0][2])
    assert answer.meters["m9"].stored == 0
    assert answer.meters["m9"].refused == {"schema": 2}


def test_no_answer_unless_asked_and_only_under_the_senders_receipts() -> None:
    events = _run(
        [
            _delivery(3, None),
            _delivery(4, receipts_topic(SITE, "another-agent", "imp")),
            _delivery(5, readings_topic(SITE, AGENT)),
        ]
    )
    assert [(kind, mid) for kind, mid, _ in events] == [("ack", 3), ("ack", 4), ("ack", 5)]
