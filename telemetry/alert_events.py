"""Alert state changes as `alert_events` points in the private store, for boards.

The one writer both `python -m alerts` (firing, resolved, its CLI's
acknowledgements) and the API (acknowledgements) use, so a board's table and
annotations show every change whoever made it. The platform database is the
record; these points are a view of it: a failed write is logged, never raised.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from influxdb_client import InfluxDBClient, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS

from telemetry import influx_schema as s
from telemetry.lineproto import line

log = logging.getLogger("telemetry.alert_events")

ACKNOWLEDGED = "acknowledged"


@dataclass(frozen=True)
class AlertChange:
    """One alert's change: what the point carries (tags and fields)."""

    rule: str
    severity: str
    site: str | None
    originator: str
    event: str  # firing, resolved, acknowledged
    state: str | None
    value: float | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any], event: str) -> AlertChange:
        """From a row of the `alerts` table (telemetry.db.tables)."""
        return cls(row["rule"], row["severity"], row["site"], row["originator"], event,
                   row["state"], row["last_value"])  # fmt: skip


class AlertEventLog:
    def __init__(self, url: str, token: str, org: str, bucket: str) -> None:
        self.bucket = bucket
        self._client = InfluxDBClient(url=url, token=token, org=org, timeout=10_000)
        self._write = self._client.write_api(write_options=SYNCHRONOUS)

    def write(self, changes: list[AlertChange], now: datetime) -> None:
        if not changes:
            return
        ts = int(now.timestamp() * 1000)
        points = [event_point(change, ts) for change in changes]
        try:
            self._write.write(
                self.bucket, record="\n".join(points), write_precision=WritePrecision.MS
            )
        except Exception as exc:
            log.warning("alert events not written: %s", exc, extra={"points": len(points)})

    def close(self) -> None:
        self._client.close()


def event_point(change: AlertChange, ts_ms: int) -> str:
    tags = {
        s.TAG_RULE: change.rule,
        s.TAG_SEVERITY: change.severity,
        s.TAG_SITE: change.site or "",
        s.TAG_EVENT: change.event,
        # A tag, not a field: two alerts of one rule changing in one pass share
        # the timestamp, and a point is identified by its tags and time.
        s.TAG_ORIGINATOR: change.originator,
    }
    fields: dict[str, float | str] = {"state": change.state or ""}
    if change.value is not None:
        fields["value"] = float(change.value)
    return line(s.ALERT_EVENTS, {k: v for k, v in tags.items() if v}, fields, ts_ms)
