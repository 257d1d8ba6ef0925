"""The wire contract: reading batches and agent status (DESIGN.md "Wire contract")."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    Strict,
    ValidationInfo,
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
# Integers on the wire stay below 2**53, so every JSON implementation (a
# JavaScript publisher, a float-only parser) reads them exactly, and no count
# built from them can outgrow InfluxDB's int64.
MAX_WIRE_INT = 2**53 - 1
FLOAT_MAX = sys.float_info.max
# RFC 3339 date-time with an offset: what JSON Schema's `date-time` means,
# spelled as a pattern so that validators that skip `format` enforce it too.
TIMESTAMP_PATTERN = (
    r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d"
    r"(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$"
)
_TIMESTAMP_RE = re.compile(TIMESTAMP_PATTERN)


class Quality(StrEnum):
    GOOD = "good"
    UNCERTAIN = "uncertain"
    BAD = "bad"


def _utc_iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _no_coerced_int(value: Any) -> Any:
    # Pydantic would read "7" or true as 7; the contract says integer, so a
    # string or a boolean is refused. 7.0 is an integer to JSON Schema, and stays one.
    if isinstance(value, bool | str | bytes):
        raise ValueError(f"expected an integer, got {_json_type(value)}")
    return value


def _rfc3339_only(value: Any) -> Any:
    # Pydantic would also take a number (unix time), "1732435200" or a space
    # for the T; the contract takes RFC 3339 text only. Python callers may
    # hand a datetime.
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _TIMESTAMP_RE.match(value):
        raise ValueError(
            f"expected an RFC 3339 date-time with a timezone offset "
            f"(e.g. 2026-11-24T10:00:00Z), got {_json_type(value)}"
        )
    return value


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str | bytes):
        return f"a string ({str(value)[:40]!r})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    return f"a {type(value).__name__}"


# Constraints before the validator, so that they reach the JSON Schema as
# minimum/maximum.
WireInt = Annotated[int, Field(ge=0, le=MAX_WIRE_INT), BeforeValidator(_no_coerced_int)]
# A number: JSON integers are numbers too; strings and booleans are not.
WireFloat = Annotated[float, Strict(), Field(allow_inf_nan=False, ge=-FLOAT_MAX, le=FLOAT_MAX)]
UtcTimestamp = Annotated[
    AwareDatetime,
    BeforeValidator(_rfc3339_only),
    PlainSerializer(_utc_iso, return_type=str, when_used="json"),
    Field(json_schema_extra={"pattern": TIMESTAMP_PATTERN}),
]


def no_bool_values(values: Any) -> Any:
    """JSON true/false would otherwise pass as 1.0/0.0 in a `values` map."""
    if isinstance(values, dict):
        for name, value in values.items():
            if isinstance(value, bool):
                raise ValueError(f"values.{name}: expected a number, got a boolean")
    return values


class Reading(BaseModel):
    """One meter read: canonical field values at one UTC time."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    meter: MeterId = Field(description="meter id, unique within the site")
    utility: Utility = Field(description="what the meter measures; also the InfluxDB measurement")
    ts: UtcTimestamp = Field(description="UTC read time (ISO 8601 with offset)")
    values: dict[str, WireFloat] = Field(
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
        return no_bool_values(values)

    @model_validator(mode="after")
    def _canonical_values(self) -> Reading:
        allowed = FIELDS[self.utility]
        for name in self.values:
            if name not in allowed:
                raise ValueError(
                    f"values.{name}: not a canonical field of {self.utility.value} "
                    f"(expected one of {', '.join(sorted(allowed))})"
                )
        return self


class ReadingBatch(BaseModel):
    """One poll cycle of one agent, published on energy/v1/{site}/{agent}/readings."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    schema_id: ClassVar[str] = SCHEMA_ID

    schema_: Literal["energy.readings.v1"] = Field(alias="schema", description="payload schema id")
    site: SiteId
    agent: AgentId
    seq: WireInt = Field(description="per agent, +1 per batch, kept across restarts")
    readings: list[Reading] = Field(min_length=1, max_length=MAX_READINGS_PER_BATCH)

    @model_validator(mode="before")
    @classmethod
    def _schema_of_our_own(cls, data: Any, info: ValidationInfo) -> Any:
        # A payload (JSON text) must name its schema. Python code of ours builds
        # batches of this schema by construction, so there it is filled in.
        mine = info.mode == "python" and isinstance(data, dict)
        if mine and "schema" not in data and "schema_" not in data:
            return {**data, "schema": cls.schema_id}
        return data

    def to_json(self) -> bytes:
        return self.model_dump_json(by_alias=True).encode()

    @classmethod
    def from_json(cls, payload: bytes | str) -> Self:
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
    meters: WireInt | None = Field(default=None, description="meters this agent polls")
    meters_failing: list[MeterId] = Field(default_factory=list)
    outbox_depth: WireInt | None = Field(default=None, description="batches not yet acknowledged")
    outbox_oldest_age_s: Annotated[WireFloat, Field(ge=0)] | None = None
    dropped_batches: WireInt | None = Field(default=None, description="dropped past the budget")
    last_error: str | None = Field(default=None, max_length=1000)

    def to_json(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()

    @classmethod
    def from_json(cls, payload: bytes | str) -> AgentStatus:
        return cls.model_validate_json(payload)


def offline_will() -> bytes:
    """The payload the broker publishes as an agent's last will."""
    return AgentStatus(state=AgentState.OFFLINE).model_dump_json(include={"state"}).encode()
