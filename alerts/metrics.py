"""Prometheus metrics of the alerts process (served on --metrics-port)."""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterable

from prometheus_client import Counter, Gauge

from alerts.lifecycle import AlertState
from alerts.rules import Severity

EVALUATIONS = Counter("alerts_evaluations", "rule evaluations", ["rule"])
EVALUATION_FAILURES = Counter(
    "alerts_evaluation_failures", "rule evaluations that failed", ["rule"]
)
FIRING = Gauge("alerts_firing", "active alerts", ["severity"])
DELIVERIES = Counter("alerts_deliveries", "notifications delivered", ["target"])
DELIVERY_FAILURES = Counter("alerts_delivery_failures", "failed delivery attempts", ["target"])
DEAD_LETTERS = Counter("alerts_dead_letters", "notifications given up on", ["target"])


def set_firing(alerts: Iterable[AlertState]) -> None:
    counts = Tally(a.severity for a in alerts if a.active)
    for severity in Severity:
        FIRING.labels(severity.value).set(counts.get(severity.value, 0))
