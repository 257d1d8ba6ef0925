"""What the writer does with one MQTT message: store its lines, or set it aside."""

from __future__ import annotations

from dataclasses import dataclass, field

from collector.reasons import Reason


@dataclass(frozen=True, slots=True)
class Delivery:
    """One MQTT message as `on_message` enqueued it (no parsing in the callback)."""

    mid: int
    qos: int
    topic: str
    payload: bytes
    received: float  # time.time() at arrival
    generation: int  # connection it came on; acks of older connections are void
    # MQTT v5 request/response: where the publisher wants the receipt (None: no answer).
    response_topic: str | None = None
    correlation: bytes | None = None


@dataclass(slots=True)
class Accepted:
    lines: list[str]
    readings: int = 0
    reading_ts_ms: list[int] = field(default_factory=list)
    # The good point readings, for the arrival marker (collector/arrivals.py).
    handed: list[tuple[str, str, int, float | None, float | None]] = field(default_factory=list)
    site: str = ""
    agent: str = ""
    seq: int | None = None
    new_meters: int = 0  # meters admitted for the first time by this message
    # Readings of new meters past their site's limit, left out of `lines`.
    refused: Rejected | None = None
    refused_readings: int = 0
    # The meter of each reading line (the first len(meters) lines), for receipts.
    meters: list[str] = field(default_factory=list)
    refused_meters: dict[str, int] = field(default_factory=dict)  # meter -> readings refused


@dataclass(frozen=True, slots=True)
class Rejected:
    reason: Reason
    detail: str
    readings: int = 0  # readings refused with it, where counted (unknown_meter_limit)
