"""End to end on the real platform: simulators → agent → MQTT → collector → InfluxDB → alerts.

A stopped agent raises agent-offline, its meters fall silent and raise stale
alerts within their windows; when the agent comes back, all of them clear.
"""

from __future__ import annotations

import signal
import time

import pytest

from alerts.store import all_alerts
from tests.alerts.platform import AGENT, METERS, SITE, Running, stop_alerts

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
# A wide stale factor, as in test_platform_faults.py: a loaded machine can hold a healthy
# meter's readings back past three intervals (a 5 s meter at the default factor 3 fired
# in the first seconds of one CI run); the stopped agent's meters still fire, later.
STALE_FACTOR = 5
RULES = {
    "rules": [
        {"id": "stale", "kind": "stale", "severity": "major", "nodata": "alert",
         "factor": STALE_FACTOR, "scope": {"site": SITE}},
        {"id": "offline", "kind": "agent_offline", "severity": "critical",
         "silent_for": "20s", "nodata": "keep_state", "scope": {"site": SITE}},
    ]
}  # fmt: skip


def test_stopped_agent_raises_offline_and_stale_then_clears(running: Running) -> None:
    proc, engine = running.start_alerts(RULES)
    try:
        time.sleep(3)
        assert all_alerts(engine) == [], "nothing fires while every meter reports"
        agent = next(c for c in running.platform.children if c.name == f"agent-{AGENT}")
        agent.signal(signal.SIGTERM)
        assert agent.wait(30)
        running.wait_alerts(engine, "offline", "active_unacked", 1, 60, "agent-offline")
        running.wait_alerts(engine, "stale", "active_unacked", METERS, 90, "stale meters")
        agent.start(running.platform.env)
        running.wait_alerts(engine, "offline", "cleared_unacked", 1, 90, "offline cleared")
        running.wait_alerts(engine, "stale", "cleared_unacked", METERS, 90, "stale cleared")
        assert running.alert_event_counts() == {"firing": METERS + 1, "resolved": METERS + 1}
    finally:
        stop_alerts(proc, engine)
