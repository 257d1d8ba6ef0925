"""Which targets hear of an alert (policies by labels and severity), and what they are told."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from alerts.lifecycle import AlertState, Event
from alerts.rules import Policy, RulesFile


@dataclass(frozen=True)
class Route:
    target: str
    policy: Policy

    def group_key(self, labels: dict[str, str]) -> str | None:
        """The target and the group_by labels' values, hashed; None when not grouping."""
        if not self.policy.group_by:
            return None
        values = [self.target, *(f"{k}={labels.get(k, '')}" for k in self.policy.group_by)]
        return hashlib.sha256("\x1f".join(values).encode()).hexdigest()


def routes_for(rules: RulesFile, labels: dict[str, str], severity: str) -> list[Route]:
    """Policies in order; the first match ends the walk unless it says `continue`.
    A target reached twice keeps its first policy."""
    chosen: dict[str, Route] = {}
    for policy in rules.policies:
        if severity not in policy.severities:
            continue
        if all(labels.get(k) == v for k, v in policy.match.items()):
            for target in policy.targets:
                chosen.setdefault(target, Route(target, policy))
            if not policy.continue_:
                break
    return list(chosen.values())


def idempotency_key(alert: AlertState, event: Event, repeat: int = 0) -> str:
    """The same for every retry of one announcement, different for the next firing
    (and for each repeat of a firing)."""
    when = alert.fired_at.isoformat() if alert.fired_at else ""
    text = f"{alert.rule}\x1f{alert.originator}\x1f{event.value}\x1f{when}"
    if repeat:
        text += f"\x1frepeat {repeat}"
    return hashlib.sha256(text.encode()).hexdigest()


def payload(
    alert: AlertState, event: Event, key: str, site_name: str | None, repeat: int = 0
) -> dict[str, Any]:
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
        "repeat": repeat,
    }


def group_body(key: str, group: str, payloads: list[dict[str, Any]]) -> dict[str, Any]:
    """Several notifications of one group in one message; each keeps its own key."""
    return {"schema": "energy.alert_group.v1", "idempotency_key": key, "group": group,
            "alerts": payloads}  # fmt: skip


def group_idempotency_key(member_keys: list[str]) -> str:
    return hashlib.sha256("\x1f".join(sorted(member_keys)).encode()).hexdigest()


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None
