"""Every payload case, judged by the collector's validator and by the published JSON Schema.

A case is a folder of `ingest_cases/`: `payload.json` (the message as sent,
valid JSON or not), `topic.txt` and `expected.yaml` (`verdict: accept` or
`verdict: reject` with its `reason`; a partly accepted batch names the
`refused` reason and `refused_readings`). The validator is the real one
(collector/validate.py, with the meter limit of collector/meters.py) over the
demo registry. The same payload then goes through `jsonschema` with the
committed schema file: it must refuse exactly the cases the validator refuses
for their shape (bad_json, schema, bad_meter_id) and accept the others, so the
model and the published contract cannot drift apart.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from collector.meters import MeterGate
from collector.reasons import Reason
from collector.validate import Limits, Validator
from collector.verdict import Accepted, Delivery, Rejected
from telemetry.readings_v2 import SCHEMA_ID_V2
from telemetry.registry import load_registry
from telemetry.schema import SCHEMA_PATH, SCHEMA_V2_PATH, STATUS_SCHEMA_PATH
from tests.collector.helpers import REPO
from tests.support import golden

CASES = Path(__file__).parent / "ingest_cases"
NOW = datetime(2026, 11, 24, 10, 5, tzinfo=UTC).timestamp()
SHAPE_REASONS = {Reason.BAD_JSON, Reason.SCHEMA, Reason.BAD_METER_ID}
REGISTRY = load_registry(REPO / "config" / "sites" / "demo.yaml")


def _load(case: Path) -> tuple[str, bytes, dict[str, Any]]:
    topic = (case / "topic.txt").read_text(encoding="utf-8").strip()
    payload = (case / "payload.json").read_bytes()
    return topic, payload, golden.expected(case)


def _validator() -> Validator:
    limits = Limits(max_payload_bytes=1 << 20, max_future_s=300, max_age_s=90 * 86400)
    return Validator(REGISTRY, limits, MeterGate(REGISTRY))


def test_the_cases_cover_both_verdicts_and_every_shape_reason() -> None:
    expected = [_load(c)[2] for c in golden.case_dirs(CASES)]
    assert len(expected) >= 30
    reasons = {e.get("reason") for e in expected} | {e.get("refused") for e in expected}
    assert {r.value for r in SHAPE_REASONS} <= reasons
    assert "bad_interval" in reasons
    v2 = [
        e
        for c, e in zip(golden.case_dirs(CASES), expected, strict=True)
        if SCHEMA_ID_V2 in _load(c)[1].decode()
    ]
    assert any(e["verdict"] == "accept" for e in v2), "no accepted energy.readings.v2 case"
    assert "unknown_meter_limit" in reasons
    assert any(e["verdict"] == "accept" for e in expected)


@pytest.mark.parametrize("case", golden.case_dirs(CASES), ids=golden.case_id)
def test_validator_gives_the_expected_verdict(case: Path) -> None:
    topic, payload, expected = _load(case)
    verdict = _validator().check(Delivery(1, 1, topic, payload, NOW, 0), now=NOW)
    if expected["verdict"] == "reject":
        assert isinstance(verdict, Rejected), f"accepted: {verdict}"
        assert verdict.reason.value == expected["reason"], verdict.detail
        return
    assert isinstance(verdict, Accepted), f"rejected: {verdict}"
    refused = verdict.refused.reason.value if verdict.refused else None
    assert refused == expected.get("refused"), verdict.refused
    assert verdict.refused_readings == expected.get("refused_readings", 0)


def _json_document(payload: bytes) -> Any:
    """Standard JSON only: NaN and Infinity are not JSON, so they fail here."""

    def refuse(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    return json.loads(payload, parse_constant=refuse)


def _schema_for(topic: str, payload: bytes) -> dict[str, Any]:
    """The status schema, or the readings schema the payload names (v1 unless it says v2)."""
    if topic.endswith("/status"):
        path = STATUS_SCHEMA_PATH
    else:
        v2 = f'"schema": "{SCHEMA_ID_V2}"'.encode() in payload
        path = SCHEMA_V2_PATH if v2 else SCHEMA_PATH
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", golden.case_dirs(CASES), ids=golden.case_id)
def test_published_schema_agrees_with_the_validator(case: Path) -> None:
    topic, payload, expected = _load(case)
    shape_refused = expected["verdict"] == "reject" and expected["reason"] in SHAPE_REASONS
    schema = _schema_for(topic, payload)
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    try:
        errors = [e.message for e in validator.iter_errors(_json_document(payload))]
    except ValueError as exc:  # not JSON at all
        errors = [str(exc)]
    if shape_refused:
        assert errors, "the JSON Schema accepts what the validator refuses"
    else:
        assert not errors, f"the JSON Schema refuses a payload the validator takes: {errors}"
