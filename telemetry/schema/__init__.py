"""The committed JSON Schema of the reading batch, for non-Python publishers.

Regenerate with `python -m telemetry.schema` after changing telemetry.models;
a test fails while the committed file and the model disagree.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from telemetry.fields import FIELDS
from telemetry.models import ReadingBatch

SCHEMA_PATH = Path(__file__).parent / "readings.v1.json"


def readings_schema() -> dict[str, Any]:
    schema = ReadingBatch.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://energy.gwangju.go.kr/schema/readings.v1.json"
    schema["description"] = (
        "One poll cycle of one edge agent, published on energy/v1/{site}/{agent}/readings. "
        "values keys must be canonical fields of the reading's utility (see x-canonical-fields)."
    )
    # JSON Schema cannot tie the allowed keys of `values` to `utility` simply; list them.
    schema["x-canonical-fields"] = {u.value: sorted(f) for u, f in FIELDS.items()}
    return schema


def render() -> str:
    return json.dumps(readings_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
