"""End to end on the real platform: simulators → agent → MQTT → collector → InfluxDB → alerts.

A stopped agent raises agent-offline, its meters fall silent and raise stale
alerts within their windows; when the agent comes back, all of them clear.
A simulated `leak` fault on the water meter raises the leak rule over a
night window set to the minute just past (the rule's window is configurable
to the minute, so the test needs no clock of its own).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine

from alerts.lifecycle import AlertState
from alerts.observers import KST
from alerts.store import all_alerts
from devstack import InfluxServer, MosquittoServer, component_env, shifted_config
from devstack.platform import Platform
from devstack.supervisor import Child, python_module
from telemetry.db import make_engine
from telemetry.db.migrate import upgrade
from telemetry.influxql import InfluxQL
from tests.alerts.waiting import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
SITE, AGENT, METERS = "munheung-apt", "munheung-gw", 4
RULES = {
    "rules": [
        {"id": "stale", "kind": "stale", "severity": "major", "nodata": "alert",
         "scope": {"site": SITE}},
        {"id": "offline", "kind": "agent_offline", "severity": "critical",
         "silent_for": "20s", "nodata": "keep_state", "scope": {"site": SITE}},
    ]
}  # fmt: skip


@dataclass
class Running:
    platform: Platform
    ql: InfluxQL
    db: str
    root: Path

    def logs(self) -> str:
        out = "\n".join(f"[{c.name}]\n{c.log_tail()}" for c in self.platform.children)
        alerts_log = self.root / "alerts.log"
        return out + (
            "\n[alerts]\n" + alerts_log.read_text()[-3000:] if alerts_log.exists() else ""
        )

    def all_meters_reported(self) -> bool:
        q = 'SELECT count("{f}") FROM {m} GROUP BY "meter"'
        rows = self.ql.rows(q.format(f="energy_kwh", m='"electricity", "heat"'), self.db)
        rows += self.ql.rows(q.format(f="volume_m3", m='"gas", "water"'), self.db)
        return len(rows) >= METERS

    def start_alerts(self, rules: dict) -> tuple[subprocess.Popen, Engine]:
        db_url = f"sqlite:///{self.root / 'platform.sqlite'}"
        upgrade(db_url)
        path = self.root / "alerts.yaml"
        path.write_text(yaml.safe_dump(rules), encoding="utf-8")
        err = (self.root / "alerts.log").open("w")
        proc = subprocess.Popen(
            [sys.executable, "-m", "alerts", "--config", str(self.platform.config),
             "--rules", str(path), "--db-url", db_url, "--influx-url", self.platform.influx_url,
             "--influx-bucket", self.db, "--interval", "1"],
            env=component_env(), stdout=err, stderr=err,
        )  # fmt: skip
        err.close()
        return proc, make_engine(db_url)


def _one_site_config(root: Path) -> Path:
    demo = yaml.safe_load(Path("config/sites/demo.yaml").read_text(encoding="utf-8"))
    demo["sites"] = [s for s in demo["sites"] if s["id"] == SITE]
    for key in ("programmes", "households"):  # phase-2 files name the other sites too
        demo.pop(key, None)
    source = root / "one-site.yaml"
    source.write_text(yaml.safe_dump(demo, allow_unicode=True), encoding="utf-8")
    return shifted_config(source, root / "sites.yaml")


def _start(plat: Platform, faults: list[str]) -> None:
    """The platform's start, with faults given to the simulators."""
    plat.start_collector()
    argv = python_module("simulators", "serve", "--config", str(plat.config),
                         "--speed", "10", "--seed", "1", *faults)  # fmt: skip
    child = Child("simulators", argv, plat.workdir / "logs" / "simulators.log")
    (plat.workdir / "logs").mkdir(parents=True, exist_ok=True)
    child.start(plat.env)
    plat.children.append(child)
    child.wait_for_line("READY", 60)
    plat.start_agents()


@pytest.fixture
def running(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    mosquitto: MosquittoServer,
    influx: InfluxServer,
    influx_db: str,
) -> Iterator[Running]:
    public = f"p_{uuid.uuid4().hex[:8]}"
    influx.create_database(public)
    plat = Platform(tmp_path, _one_site_config(tmp_path), mosquitto.url, influx.url, influx_db,
                    public, speed=10, rollup_interval_s=None, status_interval_s=2)  # fmt: skip
    ql = InfluxQL(influx.url)
    try:
        _start(plat, getattr(request, "param", []))
        run = Running(plat, ql, influx_db, tmp_path)
        wait_for("readings of every meter", run.all_meters_reported, run.logs, 120)
        yield run
    finally:
        plat.stop()
        ql.close()


def _in_state(engine: Engine, rule: str, state: str) -> list[AlertState]:
    return [a for a in all_alerts(engine) if a.rule == rule and a.state == state]


def test_stopped_agent_raises_offline_and_stale_then_clears(running: Running) -> None:
    proc, engine = running.start_alerts(RULES)
    try:
        time.sleep(3)
        assert all_alerts(engine) == [], "nothing fires while every meter reports"
        agent = next(c for c in running.platform.children if c.name == f"agent-{AGENT}")
        agent.signal(signal.SIGTERM)
        assert agent.wait(30)
        active = _in_state
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
        events = running.ql.rows('SELECT count("state") FROM "alert_events" GROUP BY "event"',
                                 running.db)  # fmt: skip
        assert {r["event"]: r["count"] for r in events} == {
            "firing": METERS + 1,
            "resolved": METERS + 1,
        }
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        engine.dispose()


@pytest.mark.parametrize("running", [["--fault", f"{SITE}/water-main=leak:50"]], indirect=True)
def test_leak_fault_raises_the_leak_rule(running: Running) -> None:
    # The "night": the minute that starts at least 15 s after readings began, so
    # that it holds several water readings (the meter polls every 10 s).
    first = datetime.now(UTC) + timedelta(seconds=15)
    start = (first + timedelta(minutes=1)).astimezone(KST).replace(second=0, microsecond=0)
    end = start + timedelta(minutes=1)
    leak = {"id": "leak", "kind": "leak", "severity": "major", "utility": "water",
            "above": 40, "nodata": "keep_state", "scope": {"site": SITE},
            "night_start": start.strftime("%H:%M"), "night_end": end.strftime("%H:%M")}  # fmt: skip
    proc, engine = running.start_alerts({"rules": [leak]})
    try:
        assert _in_state(engine, "leak", "active_unacked") == []
        wait_for("the leak alert", lambda: len(_in_state(engine, "leak", "active_unacked")) == 1,
                 running.logs, 180)  # fmt: skip
        (alert,) = _in_state(engine, "leak", "active_unacked")
        assert alert.originator == f"meter:{SITE}/water-main"
        assert alert.last_value is not None and alert.last_value >= 50  # the night's minimum
        assert alert.fired_at is not None and alert.fired_at >= end
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        engine.dispose()
