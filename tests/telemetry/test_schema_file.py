"""The committed JSON Schema is what the model generates, and validates like it."""

from __future__ import annotations

import json

import jsonschema
import pytest

from telemetry.schema import SCHEMA_PATH, readings_schema, rendered

VALID = {
    "schema": "energy.readings.v1",
    "site": "hanam-ic",
    "agent": "hanam-gw-a",
    "seq": 1,
    "readings": [
        {
            "meter": "b1-elec",
            "utility": "electricity",
            "ts": "2026-11-24T10:00:00Z",
            "values": {"energy_kwh": 1.0},
            "quality": "good",
        }
    ],
}


def test_committed_schemas_match_the_models() -> None:
    for path, text in rendered().items():
        assert path.read_text(encoding="utf-8") == text, (
            f"telemetry/schema/{path.name} is out of date: run `python -m telemetry.schema`"
        )


def test_schema_accepts_a_valid_batch() -> None:
    jsonschema.validate(VALID, readings_schema())


@pytest.mark.parametrize(
    "broken",
    [
        {**VALID, "readings": []},
        {**VALID, "seq": -1},
        {**VALID, "seq": "7"},
        {**VALID, "seq": 2**53},
        {k: v for k, v in VALID.items() if k != "schema"},
        {**VALID, "readings": [{**VALID["readings"][0], "values": {"energy_kwh": "12.5"}}]},
        {**VALID, "readings": [{**VALID["readings"][0], "ts": "2026-11-24T10:00:00"}]},
        {**VALID, "site": "Hanam IC"},
        {**VALID, "schema": "other"},
        {**VALID, "readings": [{**VALID["readings"][0], "utility": "steam"}]},
        {**VALID, "readings": [{**VALID["readings"][0], "values": {}}]},
    ],
)
def test_schema_rejects_what_the_model_rejects(broken: dict) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, readings_schema())


def test_schema_lists_canonical_fields_per_utility() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert "energy_export_kwh" in schema["x-canonical-fields"]["electricity"]
    assert schema["x-canonical-fields"]["gas"] == ["flow_m3h", "volume_m3"]
