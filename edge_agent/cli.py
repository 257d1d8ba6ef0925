"""`python -m edge_agent`: poll one agent's meters and publish their readings."""

from __future__ import annotations

import asyncio
import faulthandler
import logging
import signal
import sqlite3
from pathlib import Path
from typing import Annotated

import typer

from edge_agent.settings import AgentSettings
from telemetry.clock import ClockError, platform_clock
from telemetry.config.cli import (
    AgentOpt,
    ConfigOpt,
    MetricsPortOpt,
    MqttCaOpt,
    MqttUrlOpt,
    OutboxOpt,
    fail,
    settings_or_fail,
)
from telemetry.logs import setup_logging
from telemetry.registry import ConfigError, Registry, load_registry

app = typer.Typer(
    add_completion=False,
    help=(
        "Edge agent: poll the Modbus meters of one agent of the config, decode them to "
        "canonical fields, keep every batch in an on-disk outbox and publish it over MQTT "
        "(QoS 1) until the broker acknowledges it. Secrets (ENERGY_MQTT_PASSWORD) come from "
        "the environment."
    ),
)

COMPONENT = "edge_agent"
_FILE = {"exists": False, "dir_okay": False}


@app.command()
def main(
    config: ConfigOpt = None,
    agent: AgentOpt = None,
    mqtt_url: MqttUrlOpt = None,
    mqtt_ca: MqttCaOpt = None,
    mqtt_cert: Annotated[
        Path | None, typer.Option("--mqtt-cert", help="client certificate (env ENERGY_MQTT_CERT)")
    ] = None,
    mqtt_key: Annotated[
        Path | None, typer.Option("--mqtt-key", help="client key (env ENERGY_MQTT_KEY)")
    ] = None,
    outbox: OutboxOpt = None,
    metrics_port: MetricsPortOpt = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="try each meter once, print a table, exit 1 if any fails (all agents when --agent is not given)",
        ),
    ] = False,
    status_interval: Annotated[
        float | None,
        typer.Option(
            "--status-interval",
            help="seconds between retained status updates (env ENERGY_STATUS_INTERVAL_S; default 30)",
        ),
    ] = None,
    replay_rate: Annotated[
        float | None,
        typer.Option(
            "--replay-rate",
            help="batches/s when replaying a backlog (env ENERGY_REPLAY_RATE; default 20)",
        ),
    ] = None,
    outbox_budget_mb: Annotated[
        float | None,
        typer.Option(
            "--outbox-budget-mb",
            help="outbox size before the oldest batches are dropped (env ENERGY_OUTBOX_BUDGET_MB; default 64)",
        ),
    ] = None,
    max_registers: Annotated[
        int | None,
        typer.Option(
            "--max-registers",
            help="per-device cap on registers per request, below the profile's (env ENERGY_MAX_REGISTERS)",
        ),
    ] = None,
    cycle: Annotated[
        float | None,
        typer.Option(
            "--cycle",
            help="seconds per batch (env ENERGY_CYCLE_S; default: shortest poll interval)",
        ),
    ] = None,
) -> None:
    """Poll, store, publish. Default outbox: var/outbox-<agent>.sqlite."""
    settings = settings_or_fail(
        COMPONENT,
        AgentSettings,
        config=config,
        agent=agent,
        mqtt_url=mqtt_url,
        mqtt_ca=mqtt_ca,
        mqtt_cert=mqtt_cert,
        mqtt_key=mqtt_key,
        outbox=outbox,
        metrics_port=metrics_port,
        status_interval_s=status_interval,
        replay_rate=replay_rate,
        outbox_budget_mb=outbox_budget_mb,
        max_registers=max_registers,
        cycle_s=cycle,
    )
    registry = _load(settings)
    if settings.agent and settings.agent not in registry.agents:
        fail(
            COMPONENT,
            f"{registry.source}: no agent '{settings.agent}' (agents: {', '.join(sorted(registry.agents))})",
        )
    if check:
        from edge_agent.check import check as run_check

        raise typer.Exit(0 if run_check(registry, settings.agent, settings) else 1)
    if not settings.agent:
        fail(COMPONENT, "--agent (or ENERGY_AGENT) is required: which agent of the config is this?")
    _run(registry, settings)


def _load(settings: AgentSettings) -> Registry:
    try:
        return load_registry(settings.config)
    except ConfigError as exc:
        fail(COMPONENT, str(exc))


def _run(registry: Registry, settings: AgentSettings) -> None:
    from edge_agent.agent import EdgeAgent, install_signal_handlers

    assert settings.agent
    try:
        platform_clock()  # a wrong ENERGY_CLOCK_* stops the start, not a poll
    except ClockError as exc:
        fail(COMPONENT, str(exc))
    setup_logging(COMPONENT, agent=settings.agent)
    # pymodbus logs every failed connect at ERROR; our poll logs say it once, with the meter.
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
    # `kill -USR1 <pid>` prints every thread's stack: for an operator facing a stuck agent.
    faulthandler.register(signal.SIGUSR1, all_threads=True)

    async def main_async() -> None:
        stop = asyncio.Event()
        install_signal_handlers(stop)
        await EdgeAgent(registry, settings.agent, settings).run(stop)

    try:
        asyncio.run(main_async())
    except (OSError, sqlite3.Error) as exc:
        # An outbox that cannot be opened or a metrics port in use: say which, and stop.
        outbox = settings.outbox_path(settings.agent)
        fail(
            COMPONENT,
            f"cannot start (outbox {outbox}, metrics port {settings.metrics_port}): {exc}",
        )
