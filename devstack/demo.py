"""The one-command demo: the whole platform on this machine, without Docker.

    python -m devstack.demo [--speed X] [--api-port N]

Starts a local Mosquitto and InfluxDB (state in var/demo/), creates the
databases (`python -m collector init`), then the simulators for the phase-1
sites, one edge agent per agent of the config, the collector, the rollups and
the API, each as its own `python -m <package>` process with its log in
var/demo/logs/. Prints where to look and what is running, reports any child
that exits, and on Ctrl-C stops the children first, then the services.

The class `Platform` (the component processes) is also what the dashboard
tests use to run the real pipeline.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from devstack.errors import DevstackError
from devstack.ports import free_port, port_open

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = Path("config/sites/demo.yaml")
STOP_TIMEOUT_S = 10.0
READY_TIMEOUT_S = 60.0


# --- child processes -----------------------------------------------------------------------


@dataclass
class Child:
    """One component process; its stdout and stderr go to its log file."""

    name: str
    argv: list[str]
    log: Path
    ports: str = ""
    proc: subprocess.Popen[bytes] | None = None
    reported: bool = False

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, env: dict[str, str]) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            # Own session: a terminal's Ctrl-C reaches only the demo runner,
            # which then stops the children in order.
            self.proc = subprocess.Popen(
                self.argv,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=PROJECT_ROOT,
                start_new_session=True,
            )

    def signal(self, sig: int) -> None:
        if self.running:
            assert self.proc is not None
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(sig)

    def wait(self, timeout: float) -> bool:
        """True once the process has exited (within timeout)."""
        if self.proc is None:
            return True
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        return True

    def kill(self) -> None:
        if self.running:
            assert self.proc is not None
            self.proc.kill()
            self.proc.wait()

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def wait_for_line(self, marker: str, timeout: float) -> str:
        """Wait until the log has a line starting with marker; that line."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.log.exists():
                for line in self.log.read_text(errors="replace").splitlines():
                    if line.startswith(marker):
                        return line
            if not self.running:
                raise DevstackError(f"{self.name} exited before {marker}:\n{self.log_tail()}")
            time.sleep(0.1)
        raise DevstackError(
            f"{self.name}: no {marker} line after {timeout:.0f} s:\n{self.log_tail()}"
        )


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


def module_runnable(module: str) -> bool:
    """True when `python -m module` can run (the package and its __main__ exist)."""
    import importlib.util

    try:
        return importlib.util.find_spec(f"{module}.__main__") is not None
    except ModuleNotFoundError:
        return False


def shifted_config(source: Path, offset: int, target: Path) -> Path:
    """A copy of a sites file with every Modbus TCP port moved by offset (parallel runs)."""
    if offset == 0:
        return source
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    for site in data.get("sites", []):
        for agent in site.get("agents", []):
            for meter in agent.get("meters", []):
                connection = meter.get("connection", {})
                if connection.get("type") == "tcp":
                    connection["port"] = int(connection.get("port", 502)) + offset
    if "profiles_dir" not in data:
        data["profiles_dir"] = str(PROJECT_ROOT / "config" / "profiles")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


def agent_ids(config: Path) -> list[str]:
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    return [a["id"] for s in data.get("sites", []) for a in s.get("agents", [])]


def modbus_ports(config: Path) -> list[int]:
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


# --- the platform's processes ----------------------------------------------------------------


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
    agent_cycle_s: float | None = None
    status_interval_s: float | None = 5.0
    extra_env: dict[str, str] = field(default_factory=dict)
    children: list[Child] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        # ENERGY_* of the caller's shell would override the flags' intent; drop them.
        env = {k: v for k, v in os.environ.items() if not k.startswith("ENERGY_")}
        env["PYTHONUNBUFFERED"] = "1"
        env.update(self.extra_env)
        return env

    def influx_flags(self) -> list[str]:
        return ["--influx-url", self.influx_url, "--influx-bucket", self.raw_bucket]

    def _spawn(self, name: str, argv: list[str], ports: str = "") -> Child:
        child = Child(name, argv, self.workdir / "logs" / f"{name}.log", ports)
        child.start(self.env)
        self.children.append(child)
        return child

    def start_simulators(self) -> str:
        ports = modbus_ports(self.config)
        busy = [p for p in ports if port_open("127.0.0.1", p)]
        if busy:
            raise DevstackError(
                f"Modbus ports {busy} are taken (another demo or test?): stop it or use --port-offset"
            )
        child = self._spawn(
            "simulators",
            python_module(
                "simulators",
                "serve",
                "--config",
                str(self.config),
                "--speed",
                f"{self.speed:g}",
                "--seed",
                str(self.seed),
            ),
            ports=f"modbus {ports[0]}-{ports[-1]}" if ports else "",
        )
        return child.wait_for_line("READY", READY_TIMEOUT_S)

    def start_agents(self) -> None:
        for agent in agent_ids(self.config):
            argv = python_module(
                "edge_agent",
                "--config",
                str(self.config),
                "--agent",
                agent,
                "--mqtt-url",
                self.mqtt_url,
                "--outbox",
                str(self.workdir / "outbox" / f"{agent}.sqlite"),
            )
            if self.status_interval_s is not None:
                argv += ["--status-interval", f"{self.status_interval_s:g}"]
            if self.agent_cycle_s is not None:
                argv += ["--cycle", f"{self.agent_cycle_s:g}"]
            (self.workdir / "outbox").mkdir(parents=True, exist_ok=True)
            self._spawn(f"agent-{agent}", argv)

    def start_collector(self) -> None:
        self._spawn(
            "collector",
            python_module(
                "collector",
                "run",
                "--config",
                str(self.config),
                "--mqtt-url",
                self.mqtt_url,
                *self.influx_flags(),
                "--instance",
                "demo",
            ),
        )

    def rollup_argv(self, *extra: str) -> list[str]:
        argv = python_module(
            "collector",
            "rollup",
            "--config",
            str(self.config),
            *self.influx_flags(),
            "--influx-public-bucket",
            self.public_bucket,
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
        self._spawn("rollup", self.rollup_argv(*extra))

    def rollup_once(self, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
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
        self._spawn(
            "api",
            python_module(
                "api",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.api_port),
                "--config",
                str(self.config),
                *self.influx_flags(),
                "--influx-public-bucket",
                self.public_bucket,
            ),
            ports=f"http {self.api_port}",
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
        gone = [c for c in self.children if not c.running and not c.reported]
        for child in gone:
            child.reported = True
        return gone

    def stop(self) -> None:
        """SIGTERM to the children, sources first so in-flight data drains; then SIGKILL."""
        order = sorted(self.children, key=lambda c: _STOP_ORDER.get(c.name.split("-")[0], 9))
        for child in order:
            child.signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for child in order:
            if not child.wait(max(0.1, deadline - time.monotonic())):
                child.kill()


_STOP_ORDER = {"simulators": 0, "agent": 1, "collector": 2, "rollup": 3, "api": 4}


# --- the demo runner -------------------------------------------------------------------------


def _table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=False)]
    lines = [
        "  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=False))
        for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _announce(
    platform: Platform, services: list[tuple[str, int | None, str]], api: bool, workdir: Path
) -> None:
    rows = [(name, pid or "-", ports) for name, pid, ports in services]
    rows += [(c.name, c.pid or "-", c.ports) for c in platform.children]
    print("\nRunning:\n" + _table(rows, ["process", "pid", "ports"]))
    print(f"\nLogs: {workdir / 'logs'}/<process>.log")
    if api and platform.api_port is not None:
        base = f"http://127.0.0.1:{platform.api_port}"
        print(f"\nPortal:     {base}/   (citizens' pages: city now, map, dongs)")
        print(f"API docs:   {base}/docs")
        print("Try:")
        for path in api_examples(base):
            print(f"  curl -s {base}{path}")
    print(
        f"\nInfluxDB (InfluxQL over /query): {platform.influx_url}   "
        f"databases {platform.raw_bucket}, {platform.public_bucket}"
    )
    print(
        f"Grafana boards' queries against it: python -m dashboards check "
        f"--influx-url {platform.influx_url}"
    )
    print(
        f"MQTT: {platform.mqtt_url}   e.g. mosquitto_sub -L '{platform.mqtt_url}/energy/v1/+/+/status' -v"
    )
    print("\nCtrl-C stops everything.\n", flush=True)


def api_examples(base: str, limit: int = 6) -> list[str]:
    """A few GET paths without parameters, read from the API's own OpenAPI document."""
    import httpx

    paths = ["/v1/city/live"]
    with contextlib.suppress(httpx.HTTPError, ValueError):
        spec = httpx.get(f"{base}/openapi.json", timeout=5).json()
        for path, ops in spec.get("paths", {}).items():
            plain = "{" not in path and "stream" not in path  # no parameters, not endless
            if "get" in ops and plain and path not in paths and path.startswith("/v1"):
                paths.append(path)
    return paths[:limit]


def wait_for_api(platform: Platform, timeout: float = READY_TIMEOUT_S) -> bool:
    deadline = time.monotonic() + timeout
    api = next((c for c in platform.children if c.name == "api"), None)
    while api is not None and api.running and time.monotonic() < deadline:
        if port_open("127.0.0.1", platform.api_port or 0):
            return True
        time.sleep(0.2)
    return False


def _watch(platform: Platform, stop_requested: list[bool]) -> None:
    while not stop_requested:
        for child in platform.exited():
            code = child.proc.returncode if child.proc else None
            print(
                f"!! {child.name} (pid {child.pid}) exited with code {code}; last log lines:\n"
                f"{child.log_tail()}",
                flush=True,
            )
        time.sleep(0.5)


MARKER = ".energy-demo"


def prepare_workdir(workdir: Path, fresh: bool) -> None:
    """Create the work dir; with fresh, empty it, but only if the demo made it."""
    if fresh and workdir.exists() and any(workdir.iterdir()):
        if not (workdir / MARKER).exists():
            raise DevstackError(
                f"{workdir} is not empty and was not made by the demo: "
                "pick another --workdir (nothing was deleted)"
            )
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / MARKER).touch()


def run_demo(speed: float, api_port: int, workdir: Path, port_offset: int, fresh: bool) -> None:
    from devstack import InfluxServer, MosquittoServer

    prepare_workdir(workdir, fresh)
    config = shifted_config(PROJECT_ROOT / DEFAULT_CONFIG, port_offset, workdir / "sites.yaml")
    stop_requested: list[bool] = []

    def request_stop(_sig: int, _frame: object) -> None:
        stop_requested.append(True)

    signal.signal(signal.SIGTERM, request_stop)
    # Ctrl-C even when started from a shell that ignores SIGINT for background jobs.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    broker = MosquittoServer(workdir / "mosquitto")
    influx = InfluxServer(workdir / "influx")
    platform: Platform | None = None
    api = module_runnable("api")
    try:
        print("Starting Mosquitto and InfluxDB ...", flush=True)
        broker.start()
        influx.start()
        init = subprocess.run(
            python_module("collector", "init", "--influx-url", influx.url),
            capture_output=True,
            text=True,
            timeout=60,
            cwd=PROJECT_ROOT,
            check=False,
        )
        if init.returncode != 0:
            raise DevstackError(f"collector init failed:\n{init.stdout}{init.stderr}")
        platform = Platform(
            workdir, config, broker.url, influx.url, speed=speed, api_port=api_port if api else None
        )
        print("Starting the collector, rollups, API, simulators and agents ...", flush=True)
        platform.start()
        if not api:
            print("!! the api package has no __main__ yet: running without the API", flush=True)
        if api and not wait_for_api(platform):
            print("!! the API did not open its port; see its log", flush=True)
        services = [
            ("mosquitto", _pid(broker, "_daemon"), f"mqtt {broker.port}"),
            ("influxd", _pid(influx, "_influxd"), f"http {influx.influxd_url.rsplit(':', 1)[-1]}"),
            (
                "nginx (InfluxDB URL)",
                _pid(influx, "_nginx"),
                f"http {influx.url.rsplit(':', 1)[-1]}",
            ),
        ]
        _announce(platform, services, api, workdir)
        _watch(platform, stop_requested)
    except KeyboardInterrupt:
        pass
    finally:
        # A second Ctrl-C must not cut the clean stop short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        print("\nStopping the platform ...", flush=True)
        if platform is not None:
            platform.stop()
        influx.stop()
        broker.stop()
        print("Stopped.", flush=True)


def _pid(server: Any, attribute: str) -> int | None:
    daemon = getattr(server, attribute, None)
    proc = getattr(daemon, "proc", None)
    return proc.pid if proc is not None else None


app = typer.Typer(add_completion=False, help=__doc__)


@app.command()
def main(
    speed: Annotated[
        float, typer.Option("--speed", help="simulated time factor (boards move faster)")
    ] = 10.0,
    api_port: Annotated[int, typer.Option("--api-port", help="API port on 127.0.0.1")] = 8000,
    workdir: Annotated[Path, typer.Option("--workdir", help="state and logs")] = Path("var/demo"),
    port_offset: Annotated[int, typer.Option("--port-offset", help="shift every Modbus port")] = 0,
    fresh: Annotated[bool, typer.Option("--fresh/--keep", help="start from empty data")] = True,
) -> None:
    """Run the whole platform locally until Ctrl-C."""
    if port_open("127.0.0.1", api_port):
        typer.echo(f"port {api_port} is taken: pass --api-port N", err=True)
        raise typer.Exit(2)
    try:
        run_demo(speed, api_port, workdir.resolve(), port_offset, fresh)
    except DevstackError as exc:
        typer.echo(f"demo failed: {exc}", err=True)
        raise typer.Exit(1) from None


__all__ = ["Child", "Platform", "free_port", "module_runnable", "shifted_config"]

if __name__ == "__main__":
    app()
