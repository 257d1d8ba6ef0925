"""Receipts: the answer to a batch that asked for one (MQTT v5 ResponseTopic).

While a batch is judged, the readings it refuses whole or in part are counted
per meter; once its lines are written, each reading line InfluxDB refused is
counted under its reason (a point dropped as older than the retention policy
is `beyond_retention`), and every other reading as stored. Only then is the
receipt published, so it never says stored for what InfluxDB did not keep.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass, field

from collector.reasons import Reason
from collector.verdict import Accepted, Delivery, Rejected
from telemetry.ids import is_valid_id
from telemetry.receipts import WHOLE_BATCH, ReceiptBuilder, answerable
from telemetry.topics import TopicError, parse_topic

log = logging.getLogger(__name__)


@dataclass(slots=True)
class PendingReceipt:
    delivery: Delivery
    builder: ReceiptBuilder
    lines: list[tuple[str, str]] = field(default_factory=list)  # (reading line, meter)

    def finish(self, refused: dict[str, str]) -> bytes:
        """The receipt, given the lines InfluxDB refused (line -> its error)."""
        for line, meter in self.lines:
            error = refused.get(line)
            if error is None:
                self.builder.store(meter)
            else:
                self.builder.refuse(meter, write_reason(error).value, error)
        return self.builder.build().to_json()


def write_reason(error: str) -> Reason:
    """InfluxDB 1.x (400) and 2.x (422) say `points beyond retention policy dropped=N`."""
    return Reason.BEYOND_RETENTION if "beyond retention" in error else Reason.INFLUX_REJECTED


def pending(d: Delivery, verdict: Accepted | Rejected) -> PendingReceipt | None:
    """What a receipt will say of this message, or None when none was asked for (or may be
    sent: only under the sender's own receipts prefix)."""
    if d.response_topic is None:
        return None
    if not _may_answer(d):
        log.warning("receipt not sent: %r is not under %s's receipts", d.response_topic, d.topic)
        return None
    meters, seq = _payload_meters(d.payload)
    out = PendingReceipt(d, ReceiptBuilder(seq))
    if isinstance(verdict, Rejected):
        for meter, n in meters.items():
            out.builder.refuse(meter, verdict.reason.value, verdict.detail, n)
        return out
    if verdict.refused is not None:
        for meter, n in verdict.refused_meters.items():
            out.builder.refuse(meter, verdict.refused.reason.value, verdict.refused.detail, n)
    out.lines = list(zip(verdict.lines, verdict.meters, strict=False))
    return out


def _may_answer(d: Delivery) -> bool:
    try:
        topic = parse_topic(d.topic)
    except TopicError:
        return False
    return answerable(d.response_topic or "", topic.site, topic.agent)


def _payload_meters(payload: bytes) -> tuple[Counter[str], int | None]:
    """Readings per meter of a payload, as far as it can be read (for a refused one)."""
    try:
        data = json.loads(payload)
        readings = data["readings"]
        seq = data.get("seq")
        meters = Counter(_meter(r) for r in readings)
    except (ValueError, TypeError, KeyError, AttributeError):
        return Counter({WHOLE_BATCH: 1}), None
    return meters, seq if isinstance(seq, int) else None


def _meter(reading: object) -> str:
    meter = reading.get("meter") if isinstance(reading, dict) else None
    return meter if isinstance(meter, str) and is_valid_id(meter) else WHOLE_BATCH
