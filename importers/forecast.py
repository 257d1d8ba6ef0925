"""`--check`: what an import would store and what would be refused, with no broker.

The file's own checks have passed by then; what is left to foresee is the
retention: InfluxDB drops a point stamped before now - its policy's duration.
Interval and cost readings are imported history, kept as long as the rollups
(ENERGY_ROLLUP_RETENTION_DAYS, forever by default); a register's counter
readings are kept in the raw policy (ENERGY_RAW_RETENTION_DAYS).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from importers.receipts import ImportReceipt
from telemetry.models import Reading
from telemetry.readings_v2 import AnyReading
from telemetry.receipts import BEYOND_RETENTION, ReceiptBuilder
from telemetry.retention import beyond_retention


@dataclass(frozen=True)
class Retention:
    """The days each kind of imported reading is kept (0: forever)."""

    raw_days: int  # counter readings (registers)
    imported_days: int  # interval and cost readings

    def of(self, r: AnyReading) -> tuple[int, str]:
        """The days `r` is kept and the setting that says so."""
        if isinstance(r, Reading):
            days, what, env = self.raw_days, "raw retention", "ENERGY_RAW_RETENTION_DAYS"
        else:
            days, what = self.imported_days, "imported history's retention"
            env = "ENERGY_ROLLUP_RETENTION_DAYS"
        return days, f"the {what} of {days} days ({env})"


def forecast(
    file: str, readings: Sequence[AnyReading], retention: Retention, now_s: float | None = None
) -> ImportReceipt:
    now_s = time.time() if now_s is None else now_s
    builder = ReceiptBuilder()
    for r in readings:
        days, setting = retention.of(r)
        if beyond_retention(_stamp_s(r), days, now_s):
            builder.refuse(r.meter, BEYOND_RETENTION, f"older than {setting}")
        else:
            builder.store(r.meter)
    answer = builder.build()
    return ImportReceipt(import_id="check", file=file, meters=answer.meters, details=answer.details)


def _stamp_s(r: AnyReading) -> float:
    return (r.ts if isinstance(r, Reading) else r.interval.start).timestamp()
