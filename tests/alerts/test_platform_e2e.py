"""End to end on the real platform: simulators → agent → MQTT → collector → InfluxDB → alerts.

A stopped agent raises agent-offline, its meters fall silent and raise stale
alerts within their windows; when the agent comes back, all of them clear.
"""

from __future__ import annotations

import signal
import time

import pytest

from alerts.store import all_alerts
from tests.alerts.platform import AGENT, METERS, SITE, Running, in_state, stop_alerts
from tests.alerts.waiting import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
RULES = {
    "rules": [
        {"id": "stale", "kind": "stale", "severity": "major", "nodata": "alert",
         "scope": {"site": SITE}},
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
        active = in_state
        wait_for("agent-offline", lambda: len(active(engine, "offline", "active_unacked")) == 1,
                 running.logs, 60)  # fmt: skip
        wait_for("stale meters", lambda: len(active(engine, "stale", "active_unacked")) == METERS,
                 running.logs, 90)  # fmt: skip
        agent.start(running.platform.env)
        wait_for("offline cleared",
                 lambda: len(active(engine, "offline", "cleared_unacked")) == 1,
                 running.logs, 90)  # fmt: skip
        wait_for("stale cleared",
                 lambda: len(active(engine, "stale", "cleared_unacked")) == METERS,
                 running.logs, 90)  # fmt: skip
        assert running.alert_event_counts() == {"firing": METERS + 1, "resolved": METERS + 1}
    finally:
        stop_alerts(proc, engine)
