"""The real platform for alerts' end-to-end tests: one site's simulators, agent,
collector (and rollup), with `python -m alerts` as a real process beside them."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine

from alerts.lifecycle import AlertState
from alerts.store import all_alerts
from devstack import InfluxServer, MosquittoServer, component_env, shifted_config
from devstack.platform import Platform
from devstack.supervisor import Child, python_module
from simulators.control import write_faults
from telemetry.clock import ENV_ANCHOR, ENV_SPEED, ENV_START
from telemetry.db import make_engine
from telemetry.db.migrate import upgrade
from telemetry.influxql import InfluxQL
from tests.support.processes import run_module
from tests.support.waiting import wait_until

SITE, AGENT, METERS = "munheung-apt", "munheung-gw", 4
SECRET_ENV, SECRET = "ALERTS_E2E_SECRET", "e2e-webhook-secret"


@dataclass
class Running:
    platform: Platform
    ql: InfluxQL
    db: str
    root: Path
    control: Path
    env: dict[str, str] = field(default_factory=dict)  # extra environment for `alerts`

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.root / 'platform.sqlite'}"

    def logs(self) -> str:
        out = "\n".join(f"[{c.name}]\n{c.log_tail()}" for c in self.platform.children)
        alerts_log = self.root / "alerts.log"
        return out + (
            "\n[alerts]\n" + alerts_log.read_text()[-3000:] if alerts_log.exists() else ""
        )

    def wait_alerts(
        self, engine: Engine, rule: str, state: str, count: int, timeout: float, what: str
    ) -> None:
        """Until `count` alerts of `rule` are in `state`; fails with the platform's logs."""
        wait_until(
            lambda: len(in_state(engine, rule, state)) == count, timeout, what, logs=self.logs
        )

    def all_meters_reported(self) -> bool:
        q = 'SELECT count("{f}") FROM {m} GROUP BY "meter"'
        rows = self.ql.rows(q.format(f="energy_kwh", m='"electricity", "heat"'), self.db)
        rows += self.ql.rows(q.format(f="volume_m3", m='"gas", "water"'), self.db)
        return len(rows) >= METERS

    def faults(self, mapping: dict[str, str]) -> None:
        """Faults of this site's meters (by meter id), through the simulators' control file."""
        write_faults(self.control, {f"{SITE}/{m}": kind for m, kind in mapping.items()})

    def alerts_cli(self, *args: str) -> str:
        done = run_module("alerts", *args, "--db-url", self.db_url, env=self.env, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def start_alerts(self, rules: dict) -> tuple[subprocess.Popen, Engine]:
        upgrade(self.db_url)
        path = self.root / "alerts.yaml"
        path.write_text(yaml.safe_dump(rules), encoding="utf-8")
        err = (self.root / "alerts.log").open("w")
        proc = subprocess.Popen(
            [sys.executable, "-m", "alerts", "--config", str(self.platform.config),
             "--rules", str(path), "--db-url", self.db_url,
             "--influx-url", self.platform.influx_url, "--influx-bucket", self.db,
             "--interval", "1"],
            env=component_env({SECRET_ENV: SECRET, **self.env}), stdout=err, stderr=err,
        )  # fmt: skip
        err.close()
        return proc, make_engine(self.db_url)

    def alert_event_counts(self) -> dict[str, int]:
        q = 'SELECT count("state") FROM "alert_events" GROUP BY "event"'
        return {r["event"]: r["count"] for r in self.ql.rows(q, self.db)}


def webhook_delivery(url: str) -> dict:
    """The rules file's delivery part: every notification to one signed webhook."""
    return {
        "targets": {"hook": {"kind": "webhook", "url": url, "secret_env": SECRET_ENV}},
        "policies": [{"targets": ["hook"]}],
    }


def one_site_config(root: Path) -> Path:
    demo = yaml.safe_load(Path("config/sites/demo.yaml").read_text(encoding="utf-8"))
    demo["sites"] = [s for s in demo["sites"] if s["id"] == SITE]
    for key in ("programmes", "households", "units"):  # these files name the other sites too
        demo.pop(key, None)
    source = root / "one-site.yaml"
    source.write_text(yaml.safe_dump(demo, allow_unicode=True), encoding="utf-8")
    return shifted_config(source, root / "sites.yaml")


def start(plat: Platform, control: Path, faults: list[str], sim_flags: list[str]) -> None:
    """The platform's start, with faults given to the simulators (flags and control file)."""
    plat.start_collector()
    plat.start_rollup()
    write_faults(control, {})
    argv = python_module("simulators", "serve", "--config", str(plat.config),
                         "--speed", f"{plat.speed:g}", "--seed", "1", "--control", str(control),
                         *faults, *sim_flags)  # fmt: skip
    (plat.workdir / "logs").mkdir(parents=True, exist_ok=True)
    child = Child("simulators", argv, plat.workdir / "logs" / "simulators.log")
    child.start(plat.env)
    plat.children.append(child)
    child.wait_for_line("READY", 60)
    plat.start_agents()


def in_state(engine: Engine, rule: str, state: str) -> list[AlertState]:
    return [a for a in all_alerts(engine) if a.rule == rule and a.state == state]


def stop_alerts(proc: subprocess.Popen, engine: Engine) -> None:
    proc.terminate()
    proc.wait(timeout=30)
    engine.dispose()


@dataclass(frozen=True)
class Setup:
    """How a test's platform starts (`running`'s indirect parameter)."""

    faults: tuple[str, ...] = ()  # simulators' --fault flags
    sim_flags: tuple[str, ...] = ()  # more simulators flags (--start)
    rollup: bool = False  # the periodic rollup (spike and counter events read its output)
    env: dict[str, str] = field(default_factory=dict)  # every component's environment
    speed: float = 10.0
    # A shifted clock (telemetry.clock) for the agent and alerts, and the simulators'
    # --start: the wall time now → the simulated time now; it runs `speed` times as fast.
    clock_start: Callable[[datetime], datetime] | None = None

    def environment(self, wall: datetime) -> tuple[dict[str, str], list[str]]:
        """The components' environment and the simulators' extra flags, for a start now."""
        if self.clock_start is None:
            return dict(self.env), list(self.sim_flags)
        start = self.clock_start(wall).isoformat()
        clock = {ENV_START: start, ENV_SPEED: f"{self.speed:g}", ENV_ANCHOR: wall.isoformat()}
        return {**self.env, **clock}, [*self.sim_flags, "--start", start]


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[MosquittoServer]:
    """A broker of the test's own: the collector keeps its MQTT session between runs
    (`--instance demo`), and on a shared broker readings queued for it by an earlier
    test's agent (another simulator's counters) would reach this test's store."""
    (tmp_path / "mosquitto").mkdir()
    server = MosquittoServer(tmp_path / "mosquitto")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def running(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    broker: MosquittoServer,
    influx: InfluxServer,
    influx_db: str,
) -> Iterator[Running]:
    setup: Setup = getattr(request, "param", Setup())
    env, sim_flags = setup.environment(datetime.now(UTC))
    public = f"p_{uuid.uuid4().hex[:8]}"
    influx.create_database(public)
    plat = Platform(tmp_path, one_site_config(tmp_path), broker.url, influx.url, influx_db,
                    public, speed=setup.speed, rollup_interval_s=5 if setup.rollup else None,
                    status_interval_s=2, extra_env=env)  # fmt: skip
    ql = InfluxQL(influx.url)
    control = tmp_path / "faults.json"
    try:
        start(plat, control, list(setup.faults), sim_flags)
        run = Running(plat, ql, influx_db, tmp_path, control, env)
        wait_until(run.all_meters_reported, 120, "readings of every meter", logs=run.logs)
        yield run
    finally:
        plat.stop()
        ql.close()
