"""The wire contract rejects what it must, naming the field, and keeps what it must."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from telemetry.fields import Utility
from telemetry.models import (
    MAX_READINGS_PER_BATCH,
    AgentState,
    AgentStatus,
    Quality,
    Reading,
    ReadingBatch,
    offline_will,
)


def reading(**over: object) -> dict:
    base = {
        "meter": "b1-elec",
        "utility": "electricity",
        "ts": "2026-11-24T10:00:00.123Z",
        "values": {"energy_kwh": 1234.5, "power_kw": 12.0},
        "quality": "good",
    }
    return {**base, **over}


def batch(**over: object) -> dict:
    base = {
        "schema": "energy.readings.v1",
        "site": "hanam-ic",
        "agent": "hanam-gw-a",
        "seq": 7,
        "readings": [reading()],
    }
    return {**base, **over}


_POWER = "readings.0.values.power_kw"


def error_locations(exc: ValidationError) -> list[str]:
    return [".".join(str(p) for p in e["loc"]) for e in exc.errors()]


def test_valid_batch_round_trips_through_json() -> None:
    parsed = ReadingBatch.model_validate(batch())
    again = ReadingBatch.from_json(parsed.to_json())
    assert again == parsed
    payload = json.loads(parsed.to_json())
    assert payload["schema"] == "energy.readings.v1"
    assert payload["readings"][0]["ts"] == "2026-11-24T10:00:00.123Z"


def test_timestamps_with_offsets_are_normalised_to_utc() -> None:
    kst = timezone(timedelta(hours=9))
    parsed = ReadingBatch.model_validate(
        batch(readings=[reading(ts=datetime(2026, 11, 24, 19, 0, tzinfo=kst))])
    )
    assert parsed.readings[0].ts == datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    assert parsed.readings[0].ts.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("change", "where", "says"),
    [
        ({"readings": []}, "readings", "at least 1"),
        ({"readings": [reading(utility="steam")]}, "readings.0.utility", "electricity"),
        ({"readings": [reading(values={"energy_kwh": 1, "volts": 3})]}, "readings.0", "volts"),
        ({"readings": [reading(values={"power_kw": float("nan")})]}, _POWER, "finite"),
        ({"readings": [reading(values={"power_kw": float("inf")})]}, _POWER, "finite"),
        ({"readings": [reading(values={"power_kw": "12.5"})]}, _POWER, "valid number"),
        ({"readings": [reading(ts=1732435200)]}, "readings.0.ts", "RFC 3339"),
        ({"readings": [reading(ts="1732435200")]}, "readings.0.ts", "RFC 3339"),
        ({"readings": [reading(ts="2026-11-24 10:00:00Z")]}, "readings.0.ts", "RFC 3339"),
        ({"seq": "7"}, "seq", "expected an integer, got a string"),
        ({"seq": True}, "seq", "expected an integer, got a boolean"),
        ({"seq": 7.5}, "seq", "fractional"),
        ({"seq": 2**53}, "seq", "less than or equal to 9007199254740991"),
        ({"seq": 2**70}, "seq", "less than or equal"),
        ({"readings": [reading(values={"power_kw": True})]}, "readings.0.values", "boolean"),
        ({"readings": [reading(values={})]}, "readings.0.values", "at least 1"),
        ({"readings": [reading(ts="2026-11-24T10:00:00")]}, "readings.0.ts", "timezone"),
        ({"readings": [reading(meter="B1 Elec")]}, "readings.0.meter", "pattern"),
        ({"readings": [reading(meter="m" * 65)]}, "readings.0.meter", "pattern"),
        ({"readings": [reading(quality="great")]}, "readings.0.quality", "good"),
        ({"site": "Hanam/IC"}, "site", "pattern"),
        ({"agent": ""}, "agent", "pattern"),
        ({"seq": -1}, "seq", "greater than or equal"),
        ({"schema": "energy.readings.v2"}, "schema", "energy.readings.v1"),
        ({"extra": 1}, "extra", "Extra inputs"),
        ({"readings": [reading()] * (MAX_READINGS_PER_BATCH + 1)}, "readings", "at most"),
    ],
)
def test_invalid_batches_name_the_field(change: dict, where: str, says: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ReadingBatch.model_validate(batch(**change))
    assert where in error_locations(caught.value), error_locations(caught.value)
    assert says in str(caught.value)


def test_nan_in_json_text_is_rejected() -> None:
    text = json.dumps(batch(readings=[reading(values={"power_kw": float("nan")})]))
    assert "NaN" in text
    with pytest.raises(ValidationError):
        ReadingBatch.from_json(text)


def test_every_utility_accepts_its_consumption_counter() -> None:
    for utility, field in [
        ("electricity", "energy_kwh"),
        ("gas", "volume_m3"),
        ("water", "volume_m3"),
        ("heat", "energy_kwh"),
        ("solar", "energy_kwh"),
    ]:
        parsed = ReadingBatch.model_validate(
            batch(readings=[reading(utility=utility, values={field: 1.0})])
        )
        assert parsed.readings[0].quality is Quality.GOOD


def test_gas_reading_may_not_carry_electric_fields() -> None:
    with pytest.raises(ValidationError, match="power_kw"):
        ReadingBatch.model_validate(
            batch(readings=[reading(utility="gas", values={"power_kw": 1.0})])
        )


def test_status_and_last_will() -> None:
    will = AgentStatus.from_json(offline_will())
    assert will.state is AgentState.OFFLINE
    assert json.loads(offline_will()) == {"state": "offline"}
    status = AgentStatus(
        state=AgentState.ONLINE, meters=5, meters_failing=["gas-main"], outbox_depth=3
    )
    assert AgentStatus.from_json(status.to_json()) == status
    with pytest.raises(ValidationError):
        AgentStatus.model_validate({"state": "sleeping"})


def test_json_text_must_name_its_schema() -> None:
    doc = batch()
    del doc["schema"]
    with pytest.raises(ValidationError, match="schema"):
        ReadingBatch.from_json(json.dumps(doc))


def test_python_construction_fills_the_schema_and_takes_ints_for_floats() -> None:
    # What the edge agent does: no schema argument, an int where a float goes.
    built = ReadingBatch(
        site="hanam-ic",
        agent="hanam-gw-a",
        seq=1,
        readings=[
            Reading(
                meter="b1-elec",
                utility=Utility.ELECTRICITY,
                ts=datetime(2026, 11, 24, 10, tzinfo=UTC),
                values={"energy_kwh": 12},
            )
        ],
    )
    assert built.schema_ == "energy.readings.v1"
    assert built.readings[0].values == {"energy_kwh": 12.0}
    assert isinstance(built.readings[0].values["energy_kwh"], float)
    assert ReadingBatch.from_json(built.to_json()) == built


def test_json_integers_are_numbers_and_integral_floats_are_integers() -> None:
    text = json.dumps(batch(seq=7.0, readings=[reading(values={"energy_kwh": 12})]))
    parsed = ReadingBatch.from_json(text)
    assert parsed.seq == 7
    assert parsed.readings[0].values == {"energy_kwh": 12.0}


@pytest.mark.parametrize(
    ("doc", "where", "says"),
    [
        ({"state": "online", "meters": "5"}, "meters", "got a string"),
        ({"state": "online", "outbox_depth": 2**70}, "outbox_depth", "less than or equal"),
        ({"state": "online", "dropped_batches": True}, "dropped_batches", "boolean"),
        ({"state": "online", "outbox_oldest_age_s": "3.5"}, "outbox_oldest_age_s", "number"),
        ({"state": "online", "outbox_oldest_age_s": -1}, "outbox_oldest_age_s", "greater"),
        ({"state": "online", "ts": 1732435200}, "ts", "RFC 3339"),
    ],
)
def test_status_numbers_are_strict(doc: dict, where: str, says: str) -> None:
    with pytest.raises(ValidationError) as caught:
        AgentStatus.from_json(json.dumps(doc))
    assert where in error_locations(caught.value), error_locations(caught.value)
    assert says in str(caught.value)


def test_status_of_python_callers_takes_ints_for_floats() -> None:
    status = AgentStatus(state=AgentState.ONLINE, outbox_oldest_age_s=3, meters=2)
    assert AgentStatus.from_json(status.to_json()).outbox_oldest_age_s == 3.0
