"""End to end on the real platform: simulators → agent → MQTT → collector → InfluxDB → alerts.

A stopped agent raises agent-offline, its meters fall silent and raise stale
alerts within their windows; when the agent comes back, all of them clear.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from alerts.lifecycle import AlertState
from alerts.store import all_alerts
from devstack import InfluxServer, MosquittoServer, component_env, shifted_config
from devstack.platform import Platform
from telemetry.db import make_engine
from telemetry.db.migrate import upgrade
from telemetry.influxql import InfluxQL
from tests.alerts.waiting import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
SITE, AGENT = "munheung-apt", "munheung-gw"
RULES = {
    "rules": [
        {"id": "stale", "kind": "stale", "severity": "major", "nodata": "alert",
         "scope": {"site": SITE}},
        {"id": "offline", "kind": "agent_offline", "severity": "critical",
         "silent_for": "20s", "nodata": "keep_state", "scope": {"site": SITE}},
    ]
}  # fmt: skip


def _one_site_config(root: Path) -> Path:
    demo = yaml.safe_load(Path("config/sites/demo.yaml").read_text(encoding="utf-8"))
    demo["sites"] = [s for s in demo["sites"] if s["id"] == SITE]
    source = root / "one-site.yaml"
    source.write_text(yaml.safe_dump(demo, allow_unicode=True), encoding="utf-8")
    return shifted_config(source, root / "sites.yaml")


@pytest.fixture
def platform(
    tmp_path: Path, mosquitto: MosquittoServer, influx: InfluxServer, influx_db: str
) -> Iterator[Platform]:
    config = _one_site_config(tmp_path)
    public = f"p_{uuid.uuid4().hex[:8]}"
    influx.create_database(public)
    plat = Platform(tmp_path, config, mosquitto.url, influx.url, influx_db, public,
                    speed=10, rollup_interval_s=None, status_interval_s=2)  # fmt: skip
    plat.start()
    yield plat
    plat.stop()


def test_stopped_agent_raises_offline_and_stale_then_clears(
    platform: Platform, influx: InfluxServer, influx_db: str, tmp_path: Path
) -> None:
    ql = InfluxQL(influx.url)
    meters = 4

    def all_meters_reported() -> bool:
        rows = ql.rows('SELECT count("energy_kwh") FROM "electricity", "heat" GROUP BY "meter"',
                       influx_db) + ql.rows('SELECT count("volume_m3") FROM "gas", "water" '
                                            'GROUP BY "meter"', influx_db)  # fmt: skip
        return len(rows) >= meters

    def logs() -> str:
        return "\n".join(f"[{c.name}]\n{c.log_tail()}" for c in platform.children)

    wait_for("readings of every meter", all_meters_reported, logs, 120)
    db_url = f"sqlite:///{tmp_path / 'platform.sqlite'}"
    upgrade(db_url)
    engine = make_engine(db_url)
    rules = tmp_path / "alerts.yaml"
    rules.write_text(yaml.safe_dump(RULES), encoding="utf-8")
    err = (tmp_path / "alerts.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "alerts", "--config", str(platform.config), "--rules", str(rules),
         "--db-url", db_url, "--influx-url", influx.url, "--influx-bucket", influx_db,
         "--interval", "1"],
        env=component_env(), stdout=err, stderr=err,
    )  # fmt: skip

    def alerts(rule: str, state: str) -> list[AlertState]:
        return [a for a in all_alerts(engine) if a.rule == rule and a.state == state]

    def all_logs() -> str:
        return logs() + "\n[alerts]\n" + (tmp_path / "alerts.log").read_text()[-3000:]

    try:
        time.sleep(3)
        assert all_alerts(engine) == [], "nothing fires while every meter reports"
        agent = next(c for c in platform.children if c.name == f"agent-{AGENT}")
        agent.signal(signal.SIGTERM)
        assert agent.wait(30)
        wait_for(
            "agent-offline", lambda: len(alerts("offline", "active_unacked")) == 1, all_logs, 60
        )
        wait_for("stale meters", lambda: len(alerts("stale", "active_unacked")) == meters,
              all_logs, 90)  # fmt: skip
        agent.start(platform.env)
        wait_for("offline cleared", lambda: len(alerts("offline", "cleared_unacked")) == 1,
              all_logs, 90)  # fmt: skip
        wait_for("stale cleared", lambda: len(alerts("stale", "cleared_unacked")) == meters,
              all_logs, 90)  # fmt: skip
        events = ql.rows('SELECT count("state") FROM "alert_events" GROUP BY "event"',
                         influx_db)  # fmt: skip
        assert {r["event"]: r["count"] for r in events} == {
            "firing": meters + 1,
            "resolved": meters + 1,
        }
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        err.close()
        engine.dispose()
        ql.close()
