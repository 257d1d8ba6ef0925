"""`python -m simulators`: simulated Modbus meters (`serve`) and a city-scale fleet (`fleet`)."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Annotated

import typer

from simulators.clock import parse_start
from simulators.faults import FaultError, parse_assignment
from simulators.selection import SelectionError, select
from telemetry.config.cli import ConfigOpt, MqttUrlOpt, fail, settings_or_fail
from telemetry.config.settings import Settings
from telemetry.logs import setup_logging
from telemetry.registry import ConfigError, load_registry

COMPONENT = "simulators"
app = typer.Typer(
    help=__doc__ + "\n\nSee simulators/README.md for the load model and every fault mode.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def main() -> None:
    """Simulated meters for agents to poll, and a fleet generator for city-scale tests."""


SpeedOpt = Annotated[
    float, typer.Option("--speed", min=0.0001, help="simulated time runs this many times faster")
]
SeedOpt = Annotated[int, typer.Option("--seed", help="randomness: same seed, same values")]
StartOpt = Annotated[
    str | None, typer.Option("--start", help="simulated start time, ISO 8601 [default: now]")
]
AgentsOpt = Annotated[int, typer.Option("--agents", min=1, help="simulated agents (one site each)")]
MetersPerAgentOpt = Annotated[
    int, typer.Option("--meters-per-agent", min=1, max=5000, help="meters in each batch")
]
PerDongOpt = Annotated[
    int, typer.Option("--per-dong", min=0, help="first give each of the 96 dongs N sites")
]


@app.command()
def serve(
    config: ConfigOpt = None,
    site: Annotated[
        list[str] | None, typer.Option("--site", help="serve only this site (repeatable)")
    ] = None,
    meter: Annotated[
        list[str] | None,
        typer.Option("--meter", help="serve only this SITE/METER (repeatable)"),
    ] = None,
    bind: Annotated[
        str | None,
        typer.Option(
            "--bind", help="bind address for every TCP server [default: the config's host]"
        ),
    ] = None,
    port_offset: Annotated[
        int, typer.Option("--port-offset", help="add N to every TCP port (parallel test runs)")
    ] = 0,
    speed: SpeedOpt = 1.0,
    start: StartOpt = None,
    seed: SeedOpt = 0,
    fault: Annotated[
        list[str] | None,
        typer.Option(
            "--fault",
            help="SITE/METER=KIND: timeout, slow[:S], illegal-address, busy, garbage, reset, "
            "frozen, flapping[:S], none (repeatable)",
        ),
    ] = None,
    control: Annotated[
        Path | None,
        typer.Option(
            "--control",
            help='JSON {"faults": {"SITE/METER": "KIND"}}, re-read whenever it changes',
        ),
    ] = None,
    rtu: Annotated[
        list[str] | None,
        typer.Option(
            "--rtu", help="SITE/METER=DEVICE: serve this meter on a serial device (repeatable)"
        ),
    ] = None,
) -> None:
    """Serve the config's meters over Modbus TCP (and RTU); print READY when listening."""
    from simulators.serve import ServeError, ServeOptions, Simulation, run

    setup_logging(COMPONENT)
    logging.getLogger("pymodbus").setLevel(logging.WARNING)  # it logs every connection
    settings = settings_or_fail(COMPONENT, Settings, config=config)
    try:
        registry = load_registry(settings.config)
        chosen = select(registry, site or [], meter or [])
        faults = dict(parse_assignment(f) for f in fault or [])
        rtu_map = dict(_pair(r, "--rtu", "SITE/METER=DEVICE") for r in rtu or [])
        known = {x.key for x in chosen}
        for key in [*faults, *rtu_map]:
            if key not in known:
                raise SelectionError(f"{key!r} is not among the served meters")
        options = ServeOptions(
            bind=bind,
            port_offset=port_offset,
            speed=speed,
            start=parse_start(start),
            seed=seed,
            faults=faults,
            control=control,
            rtu=rtu_map,
        )
        sim = Simulation(registry, chosen, options)
        asyncio.run(run(sim))
    except (ConfigError, SelectionError, FaultError, ValueError, ServeError) as exc:
        fail(COMPONENT, str(exc))


@app.command()
def fleet(
    agents: AgentsOpt,
    meters_per_agent: MetersPerAgentOpt,
    interval: Annotated[
        float, typer.Option("--interval", min=0.001, help="seconds between an agent's batches")
    ],
    mqtt_url: MqttUrlOpt = None,
    write_config: Annotated[
        Path | None,
        typer.Option("--write-config", help="write the fleet's sites and agents (a sites file)"),
    ] = None,
    duration: Annotated[
        float | None, typer.Option("--duration", min=0.0, help="stop after S seconds")
    ] = None,
    cycles: Annotated[
        int | None, typer.Option("--cycles", min=1, help="stop after N batches per agent")
    ] = None,
    rate_limit: Annotated[
        float | None,
        typer.Option("--rate-limit", min=0.001, help="at most this many readings per second"),
    ] = None,
    connections: Annotated[
        int | None,
        typer.Option(
            "--connections",
            min=1,
            help="agents share this many MQTT connections [default: one each]",
        ),
    ] = None,
    seed: SeedOpt = 0,
    speed: SpeedOpt = 1.0,
    start: StartOpt = None,
    per_dong: PerDongOpt = 0,
    step: Annotated[
        float, typer.Option("--step", min=1.0, help="simulated seconds per integration step")
    ] = 60.0,
    counters_from: Annotated[
        str | None,
        typer.Option(
            "--counters-from",
            help="the counters ran from this time (ISO 8601) in --step steps before --start: "
            "go on where a fast run over the past stopped",
        ),
    ] = None,
    stagger: Annotated[
        float | None,
        typer.Option(
            "--stagger",
            min=0.001,
            help="with --backfill-to: spread the agents' reads over S seconds of each "
            "interval [default: the whole interval]",
        ),
    ] = None,
    status_interval: Annotated[
        float,
        typer.Option(
            "--status-interval",
            min=0.01,
            help="seconds between each agent's retained status refreshes while it publishes "
            "the present (an edge agent's default: 30)",
        ),
    ] = 30.0,
    agent_logins: Annotated[
        bool,
        typer.Option(
            "--agent-logins",
            help="each agent logs in as itself (user = agent id, the configured password), "
            "one connection each: a broker with per-agent accounts",
        ),
    ] = False,
    backfill_to: Annotated[
        str | None,
        typer.Option(
            "--backfill-to",
            help="publish the past from --start to this time (ISO 8601, or `now`) as fast as "
            "allowed, --interval simulated seconds apart, then stop",
        ),
    ] = None,
) -> None:
    """Publish reading batches as many agents straight to MQTT (no Modbus), for city scale.

    Prints the achieved readings/s while it runs and a last line
    `SENT batches=B readings=R ...` counting what the broker acknowledged.
    With both --duration and --cycles it stops at whichever comes first; with
    neither it runs until SIGINT/SIGTERM.
    """
    from rich.console import Console

    from simulators.fleet.plan import plan_fleet
    from simulators.fleet.pool import ClientPool, PoolError
    from simulators.fleet.registry_file import write_sites_file
    from simulators.fleet.run import FleetOptions, run_fleet

    try:
        settings = settings_or_fail(COMPONENT, Settings, mqtt_url=mqtt_url)
        target = settings.mqtt_target()
        options = FleetOptions(
            interval, duration, cycles, rate_limit, speed, parse_start(start), connections,
            step, parse_start(counters_from), _until(backfill_to), stagger, status_interval,
        )  # fmt: skip
    except ValueError as exc:
        fail(COMPONENT, str(exc))
    plan = plan_fleet(agents, meters_per_agent, seed, per_dong=per_dong)
    if write_config is not None:
        write_sites_file(write_config, plan, _header(agents, meters_per_agent, seed, per_dong))
    console = Console(stderr=True)
    if agent_logins and connections is not None:
        fail(COMPONENT, "--agent-logins gives each agent its own connection: drop --connections")
    ca = str(settings.mqtt_ca) if settings.mqtt_ca else None
    pool = ClientPool(target, ca, agent_logins)
    try:
        summary = run_fleet(plan, pool, options, console)
    except PoolError as exc:
        fail(COMPONENT, str(exc))
    print(summary.line(), flush=True)
    if not summary.complete:
        fail(COMPONENT, "some batches were not acknowledged before the end", code=1)


@app.command("fleet-plan")
def fleet_plan(
    agents: AgentsOpt,
    meters_per_agent: MetersPerAgentOpt,
    write_config: Annotated[
        Path, typer.Option("--write-config", help="where to write the fleet's sites file")
    ],
    seed: SeedOpt = 0,
    per_dong: PerDongOpt = 0,
    base: Annotated[
        Path | None,
        typer.Option("--base", help="a sites file whose sites come first (e.g. the demo's)"),
    ] = None,
) -> None:
    """Write the sites file of the fleet `fleet` would publish with the same options, and
    publish nothing: the registry the collector and API load before the fleet starts."""
    from simulators.fleet.plan import plan_fleet
    from simulators.fleet.registry_file import write_sites_file

    plan = plan_fleet(agents, meters_per_agent, seed, per_dong=per_dong)
    header = _header(agents, meters_per_agent, seed, per_dong)
    write_sites_file(write_config, plan, header, base)
    print(f"PLANNED sites={len(plan)} meters={sum(len(a.meters) for a in plan)}", flush=True)


def _until(text: str | None) -> float | None:
    if text == "now":
        return time.time()
    return parse_start(text)


def _header(agents: int, meters_per_agent: int, seed: int, per_dong: int) -> str:
    return (
        f"generated by python -m simulators fleet --agents {agents} "
        f"--meters-per-agent {meters_per_agent} --seed {seed} --per-dong {per_dong}"
    )


def _pair(text: str, flag: str, form: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key or not value:
        raise SelectionError(f"{flag} {text!r}: expected {form}")
    return key.strip(), value.strip()
