"""The v2 reading batch: v1's point readings plus interval consumption and interval cost.

Data that no edge agent reads (a utility's Green Button download, a monthly
bill, an apartment complex's monthly costs) arrives as amounts over a period,
not as counters read at an instant. `energy.readings.v2` carries three kinds
of reading in one list, told apart by their keys:

- a point reading (`ts`): exactly v1's `Reading`;
- an interval reading (`interval` + `values`): how much was used (or exported)
  between `interval.start` and `interval.end`; `values` are the utility's
  cumulative-counter field names (`energy_kwh`, `energy_export_kwh`,
  `volume_m3`), each an amount >= 0 in the field's unit;
- a cost reading (`interval` + `cost_krw`): what the period cost, in KRW. A
  cost is never a quantity, so it has its own key and is stored apart.

v1 payloads stay valid and are parsed by v1's model: `parse_batch` picks the
model by the payload's `schema`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    TypeAdapter,
    field_validator,
    model_validator,
)

from telemetry.fields import FIELDS, FieldKind, Utility
from telemetry.ids import MeterId
from telemetry.models import (
    MAX_READINGS_PER_BATCH,
    SCHEMA_ID,
    Quality,
    Reading,
    ReadingBatch,
    UtcTimestamp,
    WireFloat,
    no_bool_values,
)

SCHEMA_ID_V2 = "energy.readings.v2"
# A quarterly bill is the longest period a utility reports; anything longer is
# a mistake (a start and end a year apart), not a reading.
MAX_INTERVAL = timedelta(days=93)
Amount = Annotated[WireFloat, Field(ge=0)]

# Reading kinds, as pydantic tags them in error locations.
KIND_POINT, KIND_INTERVAL, KIND_COST = "point", "interval", "cost"


def interval_fields(utility: Utility) -> list[str]:
    """What an interval reading of `utility` may carry: its counters, as amounts."""
    return sorted(n for n, f in FIELDS[utility].items() if f.kind is FieldKind.COUNTER)


class Interval(BaseModel):
    """A period [start, end) in UTC."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: UtcTimestamp = Field(description="start of the period (inclusive)")
    end: UtcTimestamp = Field(description="end of the period (exclusive)")

    @model_validator(mode="after")
    def _ordered(self) -> Interval:
        if self.end <= self.start:
            raise ValueError(f"end {self.end.isoformat()} is not after start")
        if self.end - self.start > MAX_INTERVAL:
            raise ValueError(f"longer than {MAX_INTERVAL.days} days")
        return self

    @property
    def duration_s(self) -> float:
        return (self.end - self.start).total_seconds()


class IntervalReading(BaseModel):
    """How much one meter used (or exported) over one period."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    meter: MeterId = Field(description="meter id, unique within the site")
    utility: Utility
    interval: Interval
    values: dict[str, Amount] = Field(
        min_length=1, description="counter field name -> amount used in the period (>= 0)"
    )
    quality: Quality = Field(default=Quality.GOOD)

    @field_validator("values", mode="before")
    @classmethod
    def _no_bools(cls, values: Any) -> Any:
        return no_bool_values(values)

    @model_validator(mode="after")
    def _counter_fields(self) -> IntervalReading:
        allowed = interval_fields(self.utility)
        for name in self.values:
            if name not in allowed:
                raise ValueError(
                    f"values.{name}: not an interval field of {self.utility.value} "
                    f"(expected one of {', '.join(allowed)})"
                )
        return self

    @property
    def end(self) -> datetime:
        return self.interval.end


class CostReading(BaseModel):
    """What one meter's (or complex's) utility cost over one period, in KRW."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    meter: MeterId = Field(description="meter (or cost account) id, unique within the site")
    utility: Utility
    interval: Interval
    cost_krw: Amount = Field(description="cost of the period in KRW (>= 0)")
    quality: Quality = Field(default=Quality.GOOD)


def _reading_kind(data: Any) -> str:
    if isinstance(data, dict):
        if "ts" in data:
            return KIND_POINT
        return KIND_COST if "cost_krw" in data else KIND_INTERVAL
    if isinstance(data, CostReading):
        return KIND_COST
    return KIND_INTERVAL if isinstance(data, IntervalReading) else KIND_POINT


AnyReading = Annotated[
    Annotated[Reading, Tag(KIND_POINT)]
    | Annotated[IntervalReading, Tag(KIND_INTERVAL)]
    | Annotated[CostReading, Tag(KIND_COST)],
    Discriminator(_reading_kind),
]


class ReadingBatchV2(ReadingBatch):
    """A batch of point, interval and cost readings, on energy/v1/{site}/{agent}/readings."""

    schema_id: ClassVar[str] = SCHEMA_ID_V2

    schema_: Literal["energy.readings.v2"] = Field(alias="schema", description="payload schema id")  # type: ignore[assignment]
    readings: list[AnyReading] = Field(min_length=1, max_length=MAX_READINGS_PER_BATCH)  # type: ignore[assignment]


AnyBatch = ReadingBatch | ReadingBatchV2


def _batch_version(data: Any) -> str:
    # Only an explicit v2 payload takes the v2 model; everything else (v1, a
    # missing or unknown schema) is judged by v1's, exactly as before v2.
    if isinstance(data, ReadingBatchV2):
        return SCHEMA_ID_V2
    if isinstance(data, dict) and data.get("schema") == SCHEMA_ID_V2:
        return SCHEMA_ID_V2
    return SCHEMA_ID


_BATCH = TypeAdapter(
    Annotated[
        Annotated[ReadingBatch, Tag(SCHEMA_ID)] | Annotated[ReadingBatchV2, Tag(SCHEMA_ID_V2)],
        Discriminator(_batch_version),
    ]
)
SCHEMA_TAGS = frozenset({SCHEMA_ID, SCHEMA_ID_V2})
READING_KIND_TAGS = frozenset({KIND_POINT, KIND_INTERVAL, KIND_COST})


def parse_batch(payload: bytes | str) -> AnyBatch:
    """A reading batch of either schema; raises pydantic's ValidationError.

    Error locations carry the union tags (the schema id first, then the
    reading kind after `readings.<i>`); `plain_loc` takes them out.
    """
    return _BATCH.validate_json(payload)


def plain_loc(loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    """An error location without the schema and reading-kind tags: `readings.0.meter`."""
    v2 = bool(loc) and loc[0] == SCHEMA_ID_V2
    out = list(loc[1:] if loc and loc[0] in SCHEMA_TAGS else loc)
    if v2 and len(out) > 2 and out[0] == "readings" and out[2] in READING_KIND_TAGS:
        del out[2]
    return tuple(out)
