"""`python -m collector`: ingest (default), `init`, `meters`, `rollup`."""

from __future__ import annotations

import signal
from typing import Annotated

import typer

from collector.init_db import Layout, create_databases, migrate_imported, migrate_rollups
from collector.rollup.cli import app as rollup_app
from collector.settings import CollectorSettings
from telemetry.config.cli import (
    ConfigOpt,
    InfluxBucketOpt,
    InfluxOrgOpt,
    InfluxPublicBucketOpt,
    InfluxTokenOpt,
    InfluxUrlOpt,
    MetricsPortOpt,
    MqttUrlOpt,
    fail,
    settings_or_fail,
    stop_on_signals,
)
from telemetry.influx_schema import is_imported
from telemetry.influxql import InfluxQueryError
from telemetry.logs import setup_logging
from telemetry.registry import ConfigError

COMPONENT = "collector"
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
    setup_logging(COMPONENT)
    settings = settings_or_fail(
        COMPONENT,
        CollectorSettings,
        config=config,
        mqtt_url=mqtt_url,
        influx_url=influx_url,
        influx_token=influx_token,
        influx_org=influx_org,
        influx_bucket=influx_bucket,
        metrics_port=metrics_port,
        batch_size=batch_size,
        flush_interval_s=flush_interval_s,
        instance=instance,
        session_expiry_s=session_expiry_s,
        max_payload_bytes=max_payload_bytes,
        health_port=health_port,
        leave_on_exit=leave_on_exit,
    )
    from collector.service import Collector  # heavy imports only when running

    try:
        collector = Collector(settings)
    except ConfigError as exc:
        fail(COMPONENT, f"registry {settings.config}: {exc}")
    stop = stop_on_signals()
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
    raw_retention_days: Annotated[
        int | None,
        typer.Option(
            "--raw-retention-days",
            help="days raw readings are kept, 0 = forever (env ENERGY_RAW_RETENTION_DAYS; "
            "default 400)",
        ),
    ] = None,
    rollup_retention_days: Annotated[
        int | None,
        typer.Option(
            "--rollup-retention-days",
            help="days the private rollups are kept, 0 = forever "
            "(env ENERGY_ROLLUP_RETENTION_DAYS; default 0)",
        ),
    ] = None,
    migrate_rollups_: Annotated[
        bool,
        typer.Option(
            "--migrate-rollups",
            help="also copy rollups written before the `rollups` policy existed into it (once)",
        ),
    ] = False,
    migrate_imported_: Annotated[
        bool,
        typer.Option(
            "--migrate-imported",
            help="also copy imported history (interval and cost readings) stored before the "
            "`imported` policy existed into it (once)",
        ),
    ] = False,
) -> None:
    """Create the databases and retention policies on InfluxDB 1.x (safe to repeat)."""
    settings = settings_or_fail(
        COMPONENT,
        CollectorSettings,
        influx_url=influx_url,
        influx_token=influx_token,
        influx_bucket=influx_bucket,
        influx_public_bucket=influx_public_bucket,
        raw_retention_days=raw_retention_days,
        rollup_retention_days=rollup_retention_days,
    )
    layout = Layout(
        settings.influx_bucket,
        settings.influx_public_bucket,
        settings.raw_retention_days,
        settings.rollup_retention_days,
    )
    url, token = settings.influx_url, settings.influx_token_value()
    try:
        create_databases(url, token, layout)
        copied = migrate_rollups(url, token, layout.raw) if migrate_rollups_ else {}
        if migrate_imported_:
            copied |= migrate_imported(url, token, layout.raw)
    except (InfluxQueryError, ValueError) as exc:
        fail(COMPONENT, f"init: {exc}", code=1)
    typer.echo(
        f"databases ready on {url}: {layout.raw} (raw readings "
        f"{_days(layout.raw_retention_days)}, rollups and imported history "
        f"{_days(layout.rollup_retention_days)}), "
        f"{layout.public}"
    )
    for measurement, points in copied.items():
        where = "imported history's" if is_imported(measurement) else "rollups'"
        typer.echo(f"migrated {points} points of {measurement} into the {where} policy")


def _days(days: int) -> str:
    return "kept forever" if days == 0 else f"kept {days} days"


@app.command("meters")
def meters(
    config: ConfigOpt = None,
    influx_url: InfluxUrlOpt = None,
    influx_token: InfluxTokenOpt = None,
    influx_bucket: InfluxBucketOpt = None,
    site: Annotated[str | None, typer.Option("--site", help="one site only")] = None,
    listed: Annotated[
        bool, typer.Option("--listed", help="also the meters the registry lists")
    ] = False,
) -> None:
    """Meters stored per site that the registry does not list, with first and last seen."""
    from collector.meter_inventory import report, seen_meters
    from telemetry.influxql import InfluxQL
    from telemetry.registry import load_registry

    settings = settings_or_fail(
        COMPONENT,
        CollectorSettings,
        config=config,
        influx_url=influx_url,
        influx_token=influx_token,
        influx_bucket=influx_bucket,
    )
    try:
        registry = load_registry(settings.config)
        client = InfluxQL(settings.influx_url, settings.influx_token_value())
        found = seen_meters(client, settings.influx_bucket, registry, site)
    except ConfigError as exc:
        fail(COMPONENT, f"meters: registry {settings.config}: {exc}")
    except InfluxQueryError as exc:
        fail(COMPONENT, f"meters: {exc}", code=1)
    for row in report(found, registry, show_listed=listed):
        typer.echo(row)


app.add_typer(rollup_app, name="rollup")
