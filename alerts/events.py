"""State changes written to the private store (`alert_events`) for boards and annotations.

The writer is telemetry's (`telemetry/alert_events.py`), shared with the API's
acknowledgements; this adapter turns a pass's (alert, event) pairs into its
changes. A failed write is logged and the pass goes on.
"""

from __future__ import annotations

from datetime import datetime

from alerts.lifecycle import AlertState, Event
from telemetry.alert_events import AlertChange, AlertEventLog


class EventLog(AlertEventLog):
    def write_events(self, changed: list[tuple[AlertState, Event]], now: datetime) -> None:
        self.write([_change(alert, event) for alert, event in changed], now)


def _change(alert: AlertState, event: Event) -> AlertChange:
    return AlertChange(alert.rule, alert.severity, alert.site, alert.originator, event.value,
                       alert.state, alert.last_value)  # fmt: skip
