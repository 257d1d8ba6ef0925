"""Receipts without a broker: who may be answered, and how answers meet what was sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from importers.forecast import Retention, forecast
from importers.receipts import UNACCOUNTED, ImportReceipt
from telemetry.broker_acl import agent_block
from telemetry.models import Reading
from telemetry.readings_v2 import Interval, IntervalReading
from telemetry.receipts import (
    BEYOND_RETENTION,
    WHOLE_BATCH,
    BatchReceipt,
    MeterReceipt,
    answerable,
)

T = datetime(2026, 9, 1, tzinfo=UTC)


def _reading(meter: str, hours: int) -> IntervalReading:
    start = T + timedelta(hours=hours)
    return IntervalReading(
        meter=meter,
        utility="electricity",
        interval=Interval(start=start, end=start + timedelta(hours=1)),
        values={"energy_kwh": 1.0},
    )


def test_only_the_senders_own_receipts_topic_is_answered() -> None:
    assert answerable("energy/v1/s1/a1/receipts/abc123", "s1", "a1")
    for topic in (
        "energy/v1/s1/a2/receipts/abc123",  # another agent's
        "energy/v1/s1/a1/readings",  # its own readings: the collector would feed itself
        "energy/v1/s1/a1/receipts/x/y",
        "energy/v1/s1/a1/receipts/+",
        "energy/v1/s1/a1/receipts/",
    ):
        assert not answerable(topic, "s1", "a1"), topic


def test_readings_a_receipt_does_not_name_are_never_counted_stored() -> None:
    sent = [_reading("m1", h) for h in range(3)] + [_reading("m2", 0)]
    answer = BatchReceipt(seq=1, meters={"m1": MeterReceipt(stored=5)})
    receipt = ImportReceipt(import_id="i", file="f")
    receipt.add(sent, answer)
    assert receipt.meters["m1"] == MeterReceipt(stored=3)  # never more than was sent
    assert receipt.meters["m2"] == MeterReceipt(stored=0, refused={UNACCOUNTED: 1})
    assert (receipt.stored(), receipt.refused()) == (3, 1)


def test_a_batch_refused_before_its_meters_were_read_refuses_them_all() -> None:
    sent = [_reading("m1", 0), _reading("m2", 0)]
    answer = BatchReceipt(
        meters={WHOLE_BATCH: MeterReceipt(refused={"bad_json": 1})}, details={"bad_json": "x"}
    )
    receipt = ImportReceipt(import_id="i", file="f")
    receipt.add(sent, answer)
    assert receipt.meters["m1"].refused == {"bad_json": 1}
    assert receipt.meters["m2"].refused == {"bad_json": 1}
    assert receipt.stored() == 0


def test_an_importer_agent_reads_its_own_receipts_only() -> None:
    assert agent_block("s1", "a1", receipts=True) == (
        "user a1\ntopic write energy/v1/s1/a1/#\ntopic read energy/v1/s1/a1/receipts/#\n"
    )


def test_check_foresees_what_each_policy_drops() -> None:
    now = (T + timedelta(days=31)).timestamp()
    readings = [_reading("m1", 0), _reading("m1", 24 * 2), _reading("m2", 24 * 20)]
    # Interval readings are imported history: the raw retention does not drop them.
    kept = forecast("f", readings, Retention(raw_days=30, imported_days=0), now_s=now)
    assert (kept.stored(), kept.refused()) == (3, 0)
    would = forecast("f", readings, Retention(raw_days=0, imported_days=30), now_s=now)
    assert would.meters["m1"] == MeterReceipt(stored=1, refused={BEYOND_RETENTION: 1})
    assert would.meters["m2"] == MeterReceipt(stored=1)
    assert "imported history's retention of 30 days" in would.details[BEYOND_RETENTION]
    # A register's counter readings stay in the raw policy.
    register = [Reading(meter="m3-reg", utility="electricity", ts=T, values={"energy_kwh": 5.0})]
    raw = forecast("f", register, Retention(raw_days=30, imported_days=0), now_s=now)
    assert raw.meters["m3-reg"] == MeterReceipt(refused={BEYOND_RETENTION: 1})
    assert "raw retention of 30 days" in raw.details[BEYOND_RETENTION]
