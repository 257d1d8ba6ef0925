"""The committed JSON Schemas of the wire contract, for non-Python publishers.

`readings.v1.json` and `readings.v2.json` (reading batches; v2 adds interval
consumption and interval cost readings) and `status.v1.json` (agent status).
Regenerate with `python -m telemetry.schema` after changing telemetry.models;
a test fails while a committed file and the model disagree.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from telemetry.fields import FIELDS
from telemetry.models import AgentStatus, ReadingBatch
from telemetry.readings_v2 import ReadingBatchV2, interval_fields

SCHEMA_DIR = Path(__file__).parent
SCHEMA_PATH = SCHEMA_DIR / "readings.v1.json"
SCHEMA_V2_PATH = SCHEMA_DIR / "readings.v2.json"
STATUS_SCHEMA_PATH = SCHEMA_DIR / "status.v1.json"
_BASE_ID = "https://energy.gwangju.go.kr/schema/"


def _schema(model: type[BaseModel], path: Path, description: str) -> dict[str, Any]:
    schema = model.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = _BASE_ID + path.name
    schema["description"] = description
    return schema


def readings_schema() -> dict[str, Any]:
    schema = _schema(
        ReadingBatch,
        SCHEMA_PATH,
        "One poll cycle of one edge agent, published on energy/v1/{site}/{agent}/readings. "
        "values keys must be canonical fields of the reading's utility (see x-canonical-fields).",
    )
    canonical = {u.value: sorted(f) for u, f in FIELDS.items()}
    schema["x-canonical-fields"] = canonical
    schema["$defs"]["Reading"]["allOf"] = _values_per_utility(canonical)
    return schema


def readings_v2_schema() -> dict[str, Any]:
    schema = _schema(
        ReadingBatchV2,
        SCHEMA_V2_PATH,
        "A batch of point readings (as in v1), interval readings (amounts used over "
        "interval.start..end, keys: the utility's counter fields, see x-interval-fields) and "
        "cost readings (cost_krw over the interval), published on "
        "energy/v1/{site}/{agent}/readings. interval.end must be after interval.start and at "
        "most 93 days later, which JSON Schema cannot compare: the collector checks it.",
    )
    canonical = {u.value: sorted(f) for u, f in FIELDS.items()}
    per_interval = {u.value: interval_fields(u) for u in FIELDS}
    schema["x-canonical-fields"] = canonical
    schema["x-interval-fields"] = per_interval
    schema["$defs"]["Reading"]["allOf"] = _values_per_utility(canonical)
    schema["$defs"]["IntervalReading"]["allOf"] = _values_per_utility(per_interval)
    return schema


def _values_per_utility(names_of: dict[str, list[str]]) -> list[dict[str, Any]]:
    # The keys of `values` depend on `utility`: one if/then per utility, so
    # that a plain JSON Schema validator refuses what the model refuses.
    return [
        {
            "if": {"properties": {"utility": {"const": utility}}, "required": ["utility"]},
            "then": {"properties": {"values": {"propertyNames": {"enum": names}}}},
        }
        for utility, names in names_of.items()
    ]


def status_schema() -> dict[str, Any]:
    return _schema(
        AgentStatus,
        STATUS_SCHEMA_PATH,
        "An edge agent's status, retained on energy/v1/{site}/{agent}/status; "
        'the broker publishes {"state": "offline"} as its last will.',
    )


def _dump(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def render() -> str:
    return _dump(readings_schema())


def render_status() -> str:
    return _dump(status_schema())


def rendered() -> dict[Path, str]:
    """Every committed schema file and the text it must hold."""
    return {
        SCHEMA_PATH: render(),
        SCHEMA_V2_PATH: _dump(readings_v2_schema()),
        STATUS_SCHEMA_PATH: render_status(),
    }
