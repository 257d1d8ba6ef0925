"""The wire contract: reading batches and agent status (DESIGN.md "Wire contract")."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)

from telemetry.fields import FIELDS, Utility
from telemetry.ids import AgentId, MeterId, SiteId

SCHEMA_ID = "energy.readings.v1"
# A batch is one poll cycle of one agent; thousands of meters behind one agent
# would be a configuration mistake, so a cap keeps a single message bounded.
MAX_READINGS_PER_BATCH = 5_000
MAX_VALUES_PER_READING = 64


class Quality(StrEnum):
    GOOD = "good"
    UNCERTAIN = "uncertain"
    BAD = "bad"


def _utc_iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


UtcTimestamp = Annotated[
    AwareDatetime, PlainSerializer(_utc_iso, return_type=str, when_used="json")
]


class Reading(BaseModel):
    """One meter read: canonical field values at one UTC time."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    meter: MeterId = Field(description="meter id, unique within the site")
    utility: Utility = Field(description="what the meter measures; also the InfluxDB measurement")
    ts: UtcTimestamp = Field(description="UTC read time (ISO 8601 with offset)")
    values: dict[str, float] = Field(
        min_length=1,
        max_length=MAX_VALUES_PER_READING,
        description="canonical field name -> finite number",
    )
    quality: Quality = Field(default=Quality.GOOD)

    @field_validator("ts")
    @classmethod
    def _to_utc(cls, ts: datetime) -> datetime:
        return ts.astimezone(UTC)

    @field_validator("values", mode="before")
    @classmethod
    def _no_bools(cls, values: Any) -> Any:
        # JSON true/false would otherwise pass as 1.0/0.0.
        if isinstance(values, dict):
            for name, value in values.items():
                if isinstance(value, bool):
                    raise ValueError(f"values.{name}: expected a number, got a boolean")
        return values

    @model_validator(mode="after")
    def _canonical_values(self) -> Reading:
        allowed = FIELDS[self.utility]
        for name, value in self.values.items():
            if name not in allowed:
                raise ValueError(
                    f"values.{name}: not a canonical field of {self.utility.value} "
                    f"(expected one of {', '.join(sorted(allowed))})"
                )
            if not math.isfinite(value):
                raise ValueError(f"values.{name}: {value} is not a finite number")
        return self


class ReadingBatch(BaseModel):
    """One poll cycle of one agent, published on energy/v1/{site}/{agent}/readings."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    schema_: Literal["energy.readings.v1"] = Field(
        default=SCHEMA_ID, alias="schema", description="payload schema id"
    )
    site: SiteId
    agent: AgentId
    seq: int = Field(ge=0, description="per agent, +1 per batch, kept across restarts")
    readings: list[Reading] = Field(min_length=1, max_length=MAX_READINGS_PER_BATCH)

    def to_json(self) -> bytes:
        return self.model_dump_json(by_alias=True).encode()

    @classmethod
    def from_json(cls, payload: bytes | str) -> ReadingBatch:
        return cls.model_validate_json(payload)


class AgentState(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"


class AgentStatus(BaseModel):
    """Retained on energy/v1/{site}/{agent}/status. The last will carries `state` alone."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    state: AgentState
    ts: UtcTimestamp | None = None
    version: str | None = None
    meters: int | None = Field(default=None, ge=0, description="meters this agent polls")
    meters_failing: list[MeterId] = Field(default_factory=list)
    outbox_depth: int | None = Field(default=None, ge=0, description="batches not yet acknowledged")
    outbox_oldest_age_s: float | None = Field(default=None, ge=0)
    dropped_batches: int | None = Field(default=None, ge=0, description="dropped past the budget")
    last_error: str | None = Field(default=None, max_length=1000)

    def to_json(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()

    @classmethod
    def from_json(cls, payload: bytes | str) -> AgentStatus:
        return cls.model_validate_json(payload)


def offline_will() -> bytes:
    """The payload the broker publishes as an agent's last will."""
    return AgentStatus(state=AgentState.OFFLINE).model_dump_json(include={"state"}).encode()
