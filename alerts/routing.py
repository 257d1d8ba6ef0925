"""Which targets hear of an alert (policies by labels and severity), and what they are told."""

from __future__ import annotations

import hashlib
from typing import Any

from alerts.lifecycle import AlertState, Event
from alerts.rules import RulesFile


def targets_for(rules: RulesFile, labels: dict[str, str], severity: str) -> list[str]:
    """Policies in order; the first match ends the walk unless it says `continue`."""
    chosen: list[str] = []
    for policy in rules.policies:
        if severity not in policy.severities:
            continue
        if all(labels.get(k) == v for k, v in policy.match.items()):
            chosen += [t for t in policy.targets if t not in chosen]
            if not policy.continue_:
                break
    return chosen


def idempotency_key(alert: AlertState, event: Event) -> str:
    """The same for every retry of one announcement, different for the next firing."""
    when = alert.fired_at.isoformat() if alert.fired_at else ""
    text = f"{alert.rule}\x1f{alert.originator}\x1f{event.value}\x1f{when}"
    return hashlib.sha256(text.encode()).hexdigest()


def payload(alert: AlertState, event: Event, key: str, site_name: str | None) -> dict[str, Any]:
    """The JSON body of a webhook; e-mails are written from it too."""
    return {
        "schema": "energy.alert.v1",
        "idempotency_key": key,
        "event": event.value,
        "rule": alert.rule,
        "originator": alert.originator,
        "severity": alert.severity,
        "state": alert.state,
        "site": alert.site,
        "site_name": site_name,
        "value": alert.last_value,
        "labels": alert.labels,
        "fired_at": _iso(alert.fired_at),
        "cleared_at": _iso(alert.cleared_at) if event is Event.RESOLVED else None,
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None
