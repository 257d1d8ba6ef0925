"""The committed JSON Schemas of the wire contract, for non-Python publishers.

`readings.v1.json` (reading batches) and `status.v1.json` (agent status).
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

SCHEMA_DIR = Path(__file__).parent
SCHEMA_PATH = SCHEMA_DIR / "readings.v1.json"
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
    # The keys of `values` depend on `utility`: one if/then per utility, so
    # that a plain JSON Schema validator refuses what the model refuses.
    schema["$defs"]["Reading"]["allOf"] = [
        {
            "if": {"properties": {"utility": {"const": utility}}, "required": ["utility"]},
            "then": {"properties": {"values": {"propertyNames": {"enum": names}}}},
        }
        for utility, names in canonical.items()
    ]
    return schema


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
    return {SCHEMA_PATH: render(), STATUS_SCHEMA_PATH: render_status()}
