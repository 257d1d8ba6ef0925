"""`python -m collector`: ingest (default), `init`, `rollup`."""

from __future__ import annotations

import importlib
import logging
import signal
import sys
import threading
from typing import Annotated

import typer

from collector.init_db import create_databases
from collector.settings import CollectorSettings
from telemetry.cli import (
    ConfigOpt,
    InfluxBucketOpt,
    InfluxOrgOpt,
    InfluxPublicBucketOpt,
    InfluxTokenOpt,
    InfluxUrlOpt,
    MetricsPortOpt,
    MqttUrlOpt,
)
from telemetry.influxql import InfluxQueryError
from telemetry.registry import ConfigError

app = typer.Typer(
    help=(
        "Collector: MQTT reading batches to InfluxDB, acknowledged only after the write.\n\n"
        "With no command it runs the ingest (same as `run`)."
    ),
    no_args_is_help=False,
    add_completion=False,
)

BatchSizeOpt = Annotated[
    int | None,
    typer.Option("--batch-size", help="readings per write (env ENERGY_BATCH_SIZE; default 5000)"),
]
FlushOpt = Annotated[
    float | None,
    typer.Option(
        "--flush-interval",
        help="max seconds a reading waits (env ENERGY_FLUSH_INTERVAL_S; default 1)",
    ),
]
InstanceOpt = Annotated[
    str | None,
    typer.Option(
        "--instance",
        help="stable instance id; MQTT client id collector-<ID> (env ENERGY_INSTANCE; default host name)",
    ),
]
ExpiryOpt = Annotated[
    int | None,
    typer.Option(
        "--session-expiry",
        help="MQTT session expiry, s: longer than any outage of this instance "
        "(env ENERGY_SESSION_EXPIRY_S; default 86400)",
    ),
]
PayloadOpt = Annotated[
    int | None,
    typer.Option("--max-payload-bytes", help="larger messages are rejected (default 4 MiB)"),
]
HealthOpt = Annotated[
    int | None,
    typer.Option(
        "--health-port", help="/healthz and /readyz port, 0 = off (env ENERGY_HEALTH_PORT)"
    ),
]
LeaveOpt = Annotated[
    bool | None,
    typer.Option(
        "--leave-on-exit/--keep-session-on-exit",
        help="on SIGTERM, end the MQTT session so the broker stops queueing this "
        "instance's share (scaling down); default keeps it (restart)",
    ),
]


def _setup_logging() -> None:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


@app.callback(invoke_without_command=True)
def run(
    ctx: typer.Context,
    config: ConfigOpt = None,
    mqtt_url: MqttUrlOpt = None,
    influx_url: InfluxUrlOpt = None,
    influx_token: InfluxTokenOpt = None,
    influx_org: InfluxOrgOpt = None,
    influx_bucket: InfluxBucketOpt = None,
    metrics_port: MetricsPortOpt = None,
    batch_size: BatchSizeOpt = None,
    flush_interval_s: FlushOpt = None,
    instance: InstanceOpt = None,
    session_expiry_s: ExpiryOpt = None,
    max_payload_bytes: PayloadOpt = None,
    health_port: HealthOpt = None,
    leave_on_exit: LeaveOpt = None,
) -> None:
    """Run the ingest: shared MQTT subscription → validate → InfluxDB → ack."""
    if ctx.invoked_subcommand is not None:
        return
    _setup_logging()
    settings = CollectorSettings.from_cli(**{k: v for k, v in locals().items() if k != "ctx"})
    from collector.service import Collector  # heavy imports only when running

    try:
        collector = Collector(settings)
    except ConfigError as exc:
        typer.echo(f"collector: registry {settings.config}: {exc}", err=True)
        raise typer.Exit(2) from exc
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_a: stop.set())
    # SIGHUP re-reads the sites file: a site or agent added to the registry is
    # accepted without a restart (the handler only flags; the main loop loads).
    signal.signal(signal.SIGHUP, lambda *_a: collector.reload_requested.set())
    raise typer.Exit(collector.run(stop))


app.command("run", help="Run the ingest (the default when no command is given).")(run)


@app.command("init")
def init(
    influx_url: InfluxUrlOpt = None,
    influx_token: InfluxTokenOpt = None,
    influx_bucket: InfluxBucketOpt = None,
    influx_public_bucket: InfluxPublicBucketOpt = None,
) -> None:
    """Create the raw and public databases on InfluxDB 1.x (safe to repeat)."""
    settings = CollectorSettings.from_cli(
        influx_url=influx_url,
        influx_token=influx_token,
        influx_bucket=influx_bucket,
        influx_public_bucket=influx_public_bucket,
    )
    names = [settings.influx_bucket, settings.influx_public_bucket]
    try:
        create_databases(settings.influx_url, settings.influx_token_value(), names)
    except InfluxQueryError as exc:
        typer.echo(f"collector init: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"databases ready on {settings.influx_url}: {', '.join(names)}")


@app.command(
    "rollup",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)
def rollup(ctx: typer.Context) -> None:
    """Rollups (aggregates for city-wide views); see `python -m collector rollup --help`."""
    try:
        module = importlib.import_module("collector.rollup.cli")
    except ImportError as exc:
        typer.echo(f"collector rollup: not available ({exc})", err=True)
        raise typer.Exit(2) from exc
    target = getattr(module, "app", None) or module.main
    target(args=list(ctx.args), prog_name="python -m collector rollup")
