"""`--check`: what an import would store and what would be refused, with no broker.

The file's own checks have passed by then; what is left to foresee is the
raw retention: InfluxDB drops a point stamped (a point reading's time, an
interval's start) before now - ENERGY_RAW_RETENTION_DAYS.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from importers.receipts import ImportReceipt
from telemetry.models import Reading
from telemetry.readings_v2 import AnyReading
from telemetry.receipts import BEYOND_RETENTION, ReceiptBuilder
from telemetry.retention import beyond_retention


def forecast(
    file: str, readings: Sequence[AnyReading], raw_retention_days: int, now_s: float | None = None
) -> ImportReceipt:
    now_s = time.time() if now_s is None else now_s
    why = f"older than the raw retention of {raw_retention_days} days (ENERGY_RAW_RETENTION_DAYS)"
    builder = ReceiptBuilder()
    for r in readings:
        if beyond_retention(_stamp_s(r), raw_retention_days, now_s):
            builder.refuse(r.meter, BEYOND_RETENTION, why)
        else:
            builder.store(r.meter)
    answer = builder.build()
    return ImportReceipt(import_id="check", file=file, meters=answer.meters, details=answer.details)


def _stamp_s(r: AnyReading) -> float:
    return (r.ts if isinstance(r, Reading) else r.interval.start).timestamp()
