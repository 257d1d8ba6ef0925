"""State changes written to the private store (`alert_events`) for boards and annotations.

The database is the record; these points are a view of it. A failed write is
logged and the pass goes on: boards may miss an annotation, alerts never stop.
"""

from __future__ import annotations

import logging
from datetime import datetime

from influxdb_client import InfluxDBClient, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS

from alerts.lifecycle import AlertState, Event
from telemetry import influx_schema as s
from telemetry.lineproto import line

log = logging.getLogger("alerts.events")


class EventLog:
    def __init__(self, url: str, token: str, org: str, bucket: str) -> None:
        self.bucket = bucket
        self._client = InfluxDBClient(url=url, token=token, org=org, timeout=10_000)
        self._write = self._client.write_api(write_options=SYNCHRONOUS)

    def write(self, changed: list[tuple[AlertState, Event]], now: datetime) -> None:
        if not changed:
            return
        ts = int(now.timestamp() * 1000)
        points = [_point(alert, event, ts) for alert, event in changed]
        try:
            self._write.write(
                self.bucket, record="\n".join(points), write_precision=WritePrecision.MS
            )
        except Exception as exc:
            log.warning("alert events not written: %s", exc, extra={"points": len(points)})

    def close(self) -> None:
        self._client.close()


def _point(alert: AlertState, event: Event, ts: int) -> str:
    tags = {
        s.TAG_RULE: alert.rule,
        s.TAG_SEVERITY: alert.severity,
        s.TAG_SITE: alert.site or "",
        s.TAG_EVENT: event.value,
        # A tag, not a field: two alerts of one rule changing in one pass share
        # the timestamp, and a point is identified by its tags and time.
        s.TAG_ORIGINATOR: alert.originator,
    }
    fields: dict[str, float | str] = {"state": alert.state or ""}
    if alert.last_value is not None:
        fields["value"] = float(alert.last_value)
    return line(s.ALERT_EVENTS, {k: v for k, v in tags.items() if v}, fields, ts)
