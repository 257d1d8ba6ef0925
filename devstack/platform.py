"""The platform's component processes against a given broker and InfluxDB.

`Platform` starts the simulators, one edge agent per agent of the sites file,
the collector, the periodic rollup and the API, each as `python -m <package>`.
The demo runs it, and tests use it to run the real pipeline.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from devstack.environ import component_env
from devstack.errors import DevstackError
from devstack.ports import port_open
from devstack.supervisor import (
    PROJECT_ROOT,
    Child,
    newly_exited,
    python_module,
    stop_in_order,
)

READY_TIMEOUT_S = 60.0
# Sources stop first so that in-flight data drains through the rest.
_STOP_RANK = {"simulators": 0, "fleet": 0, "agent": 1, "collector": 2, "rollup": 3, "api": 4}


def agent_ids(config: Path) -> list[str]:
    """Every edge agent id of a sites file, in file order (importers run on demand)."""
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    return [
        a["id"]
        for s in data.get("sites", [])
        for a in s.get("agents", [])
        if a.get("kind", "edge") == "edge"
    ]


def modbus_ports(config: Path) -> list[int]:
    """The Modbus TCP ports of a sites file, sorted, each once."""
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    return sorted(
        {
            int(m["connection"]["port"])
            for s in data.get("sites", [])
            for a in s.get("agents", [])
            for m in a.get("meters", [])
            if m.get("connection", {}).get("type") == "tcp"
        }
    )


@dataclass
class Platform:
    """Simulators, agents, collector, rollups and API against given broker and InfluxDB."""

    workdir: Path
    config: Path
    mqtt_url: str
    influx_url: str
    raw_bucket: str = "energy"
    public_bucket: str = "energy_public"
    speed: float = 10.0
    seed: int = 1
    api_port: int | None = None  # None: no API
    # Short passes over a short window: the API's live minute appears soon after it ends.
    rollup_interval_s: float | None = 5.0  # None: no periodic rollup
    rollup_lookback_s: float | None = 900.0
    privacy_k: int | None = None
    rollup_verbose: bool = False  # a line per pass in the rollup's log (tests read it on failure)
    agent_cycle_s: float | None = None
    status_interval_s: float | None = 5.0
    extra_env: dict[str, str] = field(default_factory=dict)
    # The platform database (board, surveys) and the API's config; None: the API's defaults.
    db_url: str | None = None
    api_config: Path | None = None
    # The registry the collector, rollups and API load, when it holds more than the
    # meters this platform serves (the city demo's fleet sites); None: `config`.
    registry: Path | None = None
    children: list[Child] = field(default_factory=list)

    @property
    def sites(self) -> Path:
        return self.registry or self.config

    @property
    def env(self) -> dict[str, str]:
        return component_env({"PYTHONUNBUFFERED": "1", **self.extra_env})

    def influx_flags(self) -> list[str]:
        return ["--influx-url", self.influx_url, "--influx-bucket", self.raw_bucket]

    def _spawn(self, name: str, argv: list[str], ports: str = "") -> Child:
        child = Child(name, argv, self.workdir / "logs" / f"{name}.log", ports)
        child.start(self.env)
        self.children.append(child)
        return child

    def start_simulators(self) -> str:
        """Start the simulators; their READY line once they serve every port."""
        ports = modbus_ports(self.config)
        busy = [p for p in ports if port_open("127.0.0.1", p)]
        if busy:
            raise DevstackError(
                f"Modbus ports {busy} are taken (another demo or test?): stop it or use --port-offset"
            )
        argv = python_module(
            "simulators",
            *("serve", "--config", str(self.config)),
            *("--speed", f"{self.speed:g}", "--seed", str(self.seed)),
        )
        served = f"modbus {ports[0]}-{ports[-1]}" if ports else ""
        return self._spawn("simulators", argv, served).wait_for_line("READY", READY_TIMEOUT_S)

    def start_fleet(self, name: str, *flags: str) -> Child:
        """`python -m simulators fleet FLAGS` against this platform's broker."""
        argv = python_module("simulators", "fleet", *flags, "--mqtt-url", self.mqtt_url)
        return self._spawn(name, argv)

    def start_agents(self) -> None:
        (self.workdir / "outbox").mkdir(parents=True, exist_ok=True)
        for agent in agent_ids(self.config):
            argv = python_module(
                "edge_agent",
                *("--config", str(self.config), "--agent", agent, "--mqtt-url", self.mqtt_url),
                *("--outbox", str(self.workdir / "outbox" / f"{agent}.sqlite")),
            )
            if self.status_interval_s is not None:
                argv += ["--status-interval", f"{self.status_interval_s:g}"]
            if self.agent_cycle_s is not None:
                argv += ["--cycle", f"{self.agent_cycle_s:g}"]
            self._spawn(f"agent-{agent}", argv)

    def start_collector(self) -> None:
        argv = python_module(
            "collector",
            *("run", "--config", str(self.sites), "--mqtt-url", self.mqtt_url),
            *self.influx_flags(),
            *("--instance", "demo"),
        )
        self._spawn("collector", argv)

    def rollup_argv(self, *extra: str) -> list[str]:
        argv = python_module(
            "collector",
            *("rollup", "--config", str(self.sites)),
            *self.influx_flags(),
            *("--influx-public-bucket", self.public_bucket),
            *extra,
        )
        if self.privacy_k is not None:
            argv += ["--privacy-k", str(self.privacy_k)]
        return argv

    def start_rollup(self) -> None:
        if self.rollup_interval_s is None:
            return
        extra = ["--interval", f"{self.rollup_interval_s:g}"]
        if self.rollup_lookback_s is not None:
            extra += ["--lookback", f"{self.rollup_lookback_s:g}"]
        if self.rollup_verbose:
            extra.append("-v")
        self._spawn("rollup", self.rollup_argv(*extra))

    def rollup_once(self, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
        """One rollup pass in the foreground, its output captured."""
        return subprocess.run(
            self.rollup_argv("--once"),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.env,
            cwd=PROJECT_ROOT,
            check=False,
        )

    def start_api(self) -> None:
        if self.api_port is None:
            return
        argv = python_module(
            "api",
            *("--host", "127.0.0.1", "--port", str(self.api_port)),
            *("--config", str(self.sites)),
            *self.influx_flags(),
            *("--influx-public-bucket", self.public_bucket),
            *self.db_flags(),
        )
        if self.api_config is not None:
            argv += ["--api-config", str(self.api_config)]
        self._spawn("api", argv, ports=f"http {self.api_port}")

    def db_flags(self) -> list[str]:
        return ["--db-url", self.db_url] if self.db_url else []

    def seed_board(self, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
        """`python -m api board-seed`: a few example posts (needs ENERGY_API_SIGNING_KEY)."""
        return subprocess.run(
            python_module("api", "board-seed", *self.db_flags()),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.env,
            cwd=PROJECT_ROOT,
            check=False,
        )

    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def api_command(
        self, *args: str, stdin: str | None = None, timeout: float = 120.0
    ) -> subprocess.CompletedProcess[str]:
        """`python -m api ARGS --config SITES --db-url URL`: an operator's command on this
        platform's registry and database."""
        return subprocess.run(
            python_module("api", *args, "--config", str(self.sites), *self.db_flags()),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.env,
            cwd=PROJECT_ROOT,
            check=False,
        )

    def add_staff(
        self, name: str, roles: Sequence[str], password: str, sites: Sequence[str] = ()
    ) -> subprocess.CompletedProcess[str]:
        """`python -m api staff add NAME --role R... --password-stdin`: a staff account."""
        flags = [arg for role in roles for arg in ("--role", role)]
        flags += [arg for site in sites for arg in ("--site", site)]
        argv = ["staff", "add", name, *flags, "--password-stdin"]
        return subprocess.run(
            python_module("api", *argv, *self.db_flags()),
            input=password + "\n",
            capture_output=True,
            text=True,
            timeout=120,
            env=self.env,
            cwd=PROJECT_ROOT,
            check=False,
        )

    def start(self) -> None:
        """Every component, in data-flow order from the collector back to the meters."""
        self.start_collector()
        self.start_rollup()
        self.start_api()
        self.start_simulators()
        self.start_agents()

    def exited(self) -> list[Child]:
        """Children that have exited and were not reported yet."""
        return newly_exited(self.children)

    def stop(self) -> None:
        """SIGTERM to the children, sources first so in-flight data drains; then SIGKILL."""
        stop_in_order(self.children, lambda c: _STOP_RANK.get(c.name.split("-")[0], 9))


def local_api_config(dest: Path, **board: object) -> Path:
    """config/api.yaml for a plain-HTTP local run: session cookies without `Secure`
    (a browser keeps no Secure cookie from http://), board settings overridden."""
    data = yaml.safe_load((PROJECT_ROOT / "config/api.yaml").read_text(encoding="utf-8"))
    data["board"] = {**data.get("board", {}), "secure_cookies": False, **board}
    dest.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return dest
