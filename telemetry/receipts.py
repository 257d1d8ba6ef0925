"""A batch's receipt: what the collector stored of it and what it refused, per meter.

MQTT v5 request/response (DESIGN.md "Receipts"): a publisher that wants the
collector's verdict sets ResponseTopic (under its own
`energy/v1/{site}/{agent}/receipts/`) and CorrelationData on the batch; the
collector answers there, once the batch is written or refused, with this
model. A batch without a ResponseTopic gets no answer, so edge agents' batches
cost nothing more.
"""

from __future__ import annotations

from collections import Counter
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from telemetry.ids import is_valid_id
from telemetry.topics import PREFIX

RECEIPT_SCHEMA = "energy.receipt.v1"
RECEIPTS_LEVEL = "receipts"
# InfluxDB drops points older than the retention policy and says so in a 400
# (1.x) or 422 (2.x) "partial write: points beyond retention policy dropped=N".
BEYOND_RETENTION = "beyond_retention"
WHOLE_BATCH = "(batch)"  # the meter of readings refused before their meters could be read


class MeterReceipt(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stored: int = Field(default=0, ge=0)
    refused: dict[str, int] = Field(default_factory=dict, description="reason -> readings")

    def refused_total(self) -> int:
        return sum(self.refused.values())


class BatchReceipt(BaseModel):
    """The collector's answer to one batch."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schema_: Literal["energy.receipt.v1"] = Field(default=RECEIPT_SCHEMA, alias="schema")
    seq: int | None = None
    meters: dict[str, MeterReceipt] = Field(default_factory=dict)
    details: dict[str, str] = Field(default_factory=dict, description="reason -> an example")

    def to_json(self) -> bytes:
        return self.model_dump_json(by_alias=True).encode()

    def stored(self) -> int:
        return sum(m.stored for m in self.meters.values())

    def refused(self) -> int:
        return sum(m.refused_total() for m in self.meters.values())


class ReceiptBuilder:
    """Counts stored and refused readings per meter while a batch is judged."""

    def __init__(self, seq: int | None = None) -> None:
        self.seq = seq
        self._stored: Counter[str] = Counter()
        self._refused: dict[str, Counter[str]] = {}
        self._details: dict[str, str] = {}

    def store(self, meter: str, n: int = 1) -> None:
        self._stored[meter] += n

    def refuse(self, meter: str, reason: str, detail: str, n: int = 1) -> None:
        self._refused.setdefault(meter, Counter())[reason] += n
        self._details.setdefault(reason, detail[:300])

    def build(self) -> BatchReceipt:
        meters = sorted(set(self._stored) | set(self._refused))
        return BatchReceipt(
            seq=self.seq,
            meters={
                m: MeterReceipt(stored=self._stored[m], refused=dict(self._refused.get(m, {})))
                for m in meters
            },
            details=dict(self._details),
        )


def receipts_prefix(site: str, agent: str) -> str:
    return f"{PREFIX}/{site}/{agent}/{RECEIPTS_LEVEL}/"


def receipts_topic(site: str, agent: str, import_id: str) -> str:
    return receipts_prefix(site, agent) + import_id


def answerable(response_topic: str, site: str, agent: str) -> bool:
    """Whether the collector may answer on this topic: only under the sender's own
    receipts prefix, one level deep, so that no agent can make the collector publish
    into another agent's topics (or its own readings)."""
    prefix = receipts_prefix(site, agent)
    rest = response_topic.removeprefix(prefix)
    return response_topic.startswith(prefix) and is_valid_id(rest)
