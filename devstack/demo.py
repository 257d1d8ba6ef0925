"""The one-command demo: the whole platform on this machine, without Docker.

    python -m devstack.demo [--speed X] [--api-port N]

Starts a local Mosquitto and InfluxDB (state in var/demo/), creates the
databases (`python -m collector init`), then the simulators for the phase-1
sites, one edge agent per agent of the config, the collector, the rollups and
the API, each as its own `python -m <package>` process with its log in
var/demo/logs/. Prints where to look and what is running, reports any child
that exits, and on Ctrl-C stops the children first, then the services.
"""

from __future__ import annotations

import datetime as dt
import secrets
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Annotated

import typer
import yaml

from devstack import city as city_demo
from devstack import demo_console as console
from devstack.city import City
from devstack.errors import DevstackError
from devstack.influx import InfluxServer
from devstack.mosquitto import MosquittoServer
from devstack.platform import READY_TIMEOUT_S, Platform, local_api_config
from devstack.ports import port_open, shifted_config
from devstack.supervisor import PROJECT_ROOT, Child, python_module
from telemetry.db.tables import STAFF_ROLES

DEFAULT_CONFIG = Path("config/sites/demo.yaml")
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


def create_databases(influx_url: str) -> None:
    init = subprocess.run(
        python_module("collector", "init", "--influx-url", influx_url),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=PROJECT_ROOT,
        check=False,
    )
    if init.returncode != 0:
        raise DevstackError(f"collector init failed:\n{init.stdout}{init.stderr}")


def wait_for_api(platform: Platform, timeout: float = READY_TIMEOUT_S) -> bool:
    deadline = time.monotonic() + timeout
    api = next((c for c in platform.children if c.name == "api"), None)
    while api is not None and api.running and time.monotonic() < deadline:
        if port_open("127.0.0.1", platform.api_port or 0):
            return True
        time.sleep(0.2)
    return False


def services(broker: MosquittoServer, influx: InfluxServer) -> list[tuple[str, int | None, str]]:
    """(name, pid, ports) of the local services, for the process table."""
    return [
        ("mosquitto", broker.pid, f"mqtt {broker.port}"),
        ("influxd", influx.pid, f"http {influx.influxd_port}"),
        ("nginx (InfluxDB URL)", influx.nginx_pid, f"http {influx.nginx_port}"),
    ]


def watch(platform: Platform, stop_requested: list[bool]) -> None:
    """Report every child that exits until a stop is requested."""
    while not stop_requested:
        for child in platform.exited():
            console.report_exit(child)
        time.sleep(0.5)


def seed_board(platform: Platform) -> None:
    """A few example posts on the board (only into an empty board)."""
    done = platform.seed_board()
    said = (done.stdout or done.stderr).strip().splitlines()
    console.say(f"Board: {said[-1] if said else 'no output'}")


# Who lives where (python -m api tenancy): unit 101-1203 of the Pungam complex had a tenant
# who moved out two months ago and a new one since the next day; a few other households.
# Units are written as residents and staff write them; the registry resolves them.
MOVED_OUT_DAYS = 61
TENANCIES = [
    ("pungam-lh-apt", "101동 1203호", 800, MOVED_OUT_DAYS),
    ("pungam-lh-apt", "0101-1203", MOVED_OUT_DAYS - 1, None),
    ("pungam-lh-apt", "102-0407", 500, None),
    ("munheung-apt", "305동 811호", 700, None),
]
LINK_UNIT = ("pungam-lh-apt", "101-1203")
CODE_UNITS = ("pungam-lh-apt", ["101-1203", "102동 407호"])


def demo_households(platform: Platform) -> tuple[str, list[str]]:
    """The demo's tenancies, the new tenant's household link and a code sheet: (link lines,
    code lines) as the commands printed them."""
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=9))).date()
    for site, unit, moved_in, moved_out in TENANCIES:
        day = today - dt.timedelta(days=moved_in)
        done = platform.api_command("tenancy", "move-in", site, unit, "--date", day.isoformat())
        if done.returncode == 0 and moved_out is not None:
            out = today - dt.timedelta(days=moved_out)
            done = platform.api_command(
                "tenancy", "move-out", site, unit, "--date", out.isoformat()
            )
        if done.returncode != 0:
            console.say(f"!! tenancy {site} {unit}: {(done.stderr or done.stdout).strip()}")
    link = platform.api_command(
        "sign-household", "--unit", *LINK_UNIT, "--base-url", platform.base_url()
    )
    sheet = platform.workdir / "codes-units.txt"
    sheet.write_text("\n".join(CODE_UNITS[1]) + "\n", encoding="utf-8")
    codes = platform.api_command(
        "codes", CODE_UNITS[0], "--households", str(sheet), "--batch", "demo",
        "--board-url", f"{platform.base_url()}/board",
    )  # fmt: skip
    for done in (link, codes):
        if done.returncode != 0:
            console.say(f"!! {(done.stderr or done.stdout).strip()}")
    slips = [line for line in codes.stdout.splitlines() if "Household:" in line or "Code:" in line]
    return link.stdout.strip(), slips


# One staff account per role (python -m api staff add); passwords made for the run.


def first_site(config: Path) -> str:
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    return str(data["sites"][0]["id"])


def add_staff(platform: Platform, config: Path) -> list[tuple[str, str, str]]:
    """One account per role, each with a random password: (name, role, password)."""
    made = []
    for role in STAFF_ROLES:
        name, password = f"demo-{role.replace('_', '-')}", secrets.token_urlsafe(12)
        sites = [first_site(config)] if role == "facility_manager" else []
        done = platform.add_staff(name, [role], password, sites)
        if done.returncode == 0:
            made.append((name, role + (f" ({sites[0]})" if sites else ""), password))
        else:
            console.say(f"!! staff account {name}: {(done.stderr or done.stdout).strip()}")
    return made


def start_city(platform: Platform, city: City) -> tuple[Child, str]:
    """The fast fleet over the city's past (its child, and when that past began)."""
    now = time.time()
    console.say(
        f"City: {city.sites} simulated sites, {city.sites * city.meters_per_site} meters; "
        f"publishing the past {city.history_days:g} days fast "
        f"({city.history_readings:,.0f} readings) ..."
    )
    child = platform.start_fleet("fleet-history", *city_demo.history_flags(city, now))
    return child, city_demo.history_start(city, now)


def city_live(platform: Platform, city: City, history: Child, began: str) -> None:
    """Once the past is published: the real-time fleet, going on from it."""
    city_demo.wait_for_exit(history, city_demo.SETUP_TIMEOUT_S)
    platform.children.remove(history)  # it was meant to end: neither an exit nor running
    console.say("City: the past is published; the real-time fleet starts ...")
    platform.start_fleet("fleet", *city_demo.live_flags(city, began))


def run_demo(
    speed: float,
    api_port: int,
    workdir: Path,
    port_offset: int,
    fresh: bool,
    city: City | None = None,
) -> None:
    began = time.monotonic()
    prepare_workdir(workdir, fresh)
    config = shifted_config(PROJECT_ROOT / DEFAULT_CONFIG, workdir / "sites.yaml", port_offset)
    registry = city_demo.write_registry(city, config, workdir) if city else None
    stop_requested: list[bool] = []
    signal.signal(signal.SIGTERM, lambda _sig, _frame: stop_requested.append(True))
    # Ctrl-C even when started from a shell that ignores SIGINT for background jobs.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    broker = MosquittoServer(workdir / "mosquitto")
    influx = InfluxServer(workdir / "influx")
    platform: Platform | None = None
    try:
        console.say("Starting Mosquitto and InfluxDB ...")
        broker.start()
        influx.start()
        create_databases(influx.url)
        platform = Platform(
            workdir,
            config,
            broker.url,
            influx.url,
            speed=speed,
            api_port=api_port,
            # The board and surveys' database in the work dir; a signing key per run.
            extra_env={
                "ENERGY_API_SIGNING_KEY": secrets.token_urlsafe(32),
                # The rollup's meter states, kept as a deployment keeps them (snapshot.py).
                "ENERGY_STATE_PATH": str(workdir / "rollup-states.pickle"),
                **(city_demo.rollup_env(city) if city else {}),
            },
            db_url=f"sqlite:///{workdir / 'platform.sqlite'}",
            api_config=local_api_config(workdir / "api.yaml"),
            registry=registry,
            **({"rollup_interval_s": city_demo.ROLLUP_INTERVAL_S} if city else {}),
        )
        console.say("Starting the collector, rollups, API, simulators and agents ...")
        platform.start()
        if not wait_for_api(platform):
            console.say("!! the API did not open its port; see its log")
        history = start_city(platform, city) if city else None
        link, slips = demo_households(platform)
        seed_board(platform)
        staff = add_staff(platform, config)
        if city and history:
            city_live(platform, city, *history)
            filled = city_demo.wait_until_filled(
                platform.base_url(), platform.children, city_demo.SETUP_TIMEOUT_S
            )
            console.city_ready(filled, time.monotonic() - began)
            running = [(name, pid) for name, pid, _ports in services(broker, influx)]
            running += [(c.name, c.pid) for c in platform.children]
            console.cpu_use(running, time.monotonic() - began)
        console.announce(platform, services(broker, influx), workdir)
        console.households(link, slips)
        console.staff_accounts(platform, staff)
        if city:
            console.city_pages(platform, time.monotonic() - began)
        watch(platform, stop_requested)
    except KeyboardInterrupt:
        pass
    finally:
        # A second Ctrl-C must not cut the clean stop short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        console.say("\nStopping the platform ...")
        if platform is not None:
            platform.stop()
        influx.stop()
        broker.stop()
        console.say("Stopped.")


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
    city: Annotated[
        bool, typer.Option("--city", help="add a simulated city over all 96 dongs")
    ] = False,
    city_meters: Annotated[
        int, typer.Option("--city-meters", min=1, help="the city's meters (implies --city)")
    ] = City.meters,
    city_days: Annotated[
        float, typer.Option("--city-days", min=1.0, help="days of the city's past, published first")
    ] = City.history_days,
) -> None:
    """Run the whole platform locally until Ctrl-C."""
    if port_open("127.0.0.1", api_port):
        typer.echo(f"port {api_port} is taken: pass --api-port N", err=True)
        raise typer.Exit(2)
    wanted = city or city_meters != City.meters or city_days != City.history_days
    plan = City(meters=city_meters, history_days=city_days) if wanted else None
    try:
        run_demo(speed, api_port, workdir.resolve(), port_offset, fresh, plan)
    except DevstackError as exc:
        typer.echo(f"demo failed: {exc}", err=True)
        raise typer.Exit(1) from None


if __name__ == "__main__":
    app()
