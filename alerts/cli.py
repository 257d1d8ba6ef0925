"""`python -m alerts`: run (default), `check`, `list`, `ack`, `silence`."""

from __future__ import annotations

import signal
import threading
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Engine

from alerts import store
from alerts.duration import parse_duration
from alerts.lifecycle import Event
from alerts.loader import load_rules
from alerts.rules import RulesFile
from alerts.settings import AlertsSettings
from telemetry import clock
from telemetry.config.cli import (
    ConfigOpt,
    InfluxBucketOpt,
    InfluxOrgOpt,
    InfluxTokenOpt,
    InfluxUrlOpt,
    MetricsPortOpt,
    fail,
    settings_or_fail,
)
from telemetry.db import make_engine
from telemetry.db.cli import DbUrlOpt
from telemetry.db.migrate import not_migrated
from telemetry.logs import setup_logging
from telemetry.registry import ConfigError, Registry, load_registry

COMPONENT = "alerts"
app = typer.Typer(
    help=(
        "Alerts: rules from config/alerts.yaml evaluated over the stored readings; "
        "state, acknowledgements and silences in the platform database; delivery by "
        "signed webhook and e-mail.\n\nWith no command it runs (same as `run`)."
    ),
    no_args_is_help=False,
    add_completion=False,
)
RulesOpt = Annotated[
    Path | None,
    typer.Option(
        "--rules", help="rules file (env ENERGY_ALERTS_RULES; default config/alerts.yaml)"
    ),
]
SiteOpt = Annotated[str | None, typer.Option("--site", help="only this site's alerts")]


@app.callback(invoke_without_command=True)
def run(
    ctx: typer.Context,
    config: ConfigOpt = None,
    rules: RulesOpt = None,
    db_url: DbUrlOpt = None,
    influx_url: InfluxUrlOpt = None,
    influx_token: InfluxTokenOpt = None,
    influx_org: InfluxOrgOpt = None,
    influx_bucket: InfluxBucketOpt = None,
    metrics_port: MetricsPortOpt = None,
    interval: Annotated[
        float | None,
        typer.Option(
            "--interval", help="seconds between passes (env ENERGY_ALERTS_INTERVAL_S; default 30)"
        ),
    ] = None,
    once: Annotated[
        bool, typer.Option("--once", help="one pass and one delivery round, then exit")
    ] = False,
) -> None:
    """Evaluate every rule each --interval seconds; deliver notifications alongside."""
    if ctx.invoked_subcommand is not None:
        return
    setup_logging(COMPONENT)
    settings = settings_or_fail(
        COMPONENT, AlertsSettings, config=config, alerts_rules=rules, db_url=db_url,
        influx_url=influx_url, influx_token=influx_token, influx_org=influx_org,
        influx_bucket=influx_bucket, metrics_port=metrics_port, alerts_interval_s=interval,
    )  # fmt: skip
    registry, rules_file = _load(settings)
    try:
        clock.platform_clock()  # a wrong ENERGY_CLOCK_* stops the start, not a pass
    except clock.ClockError as exc:
        fail(COMPONENT, str(exc))
    db = _database(settings.db_url)
    from alerts.service import build  # heavy imports only when running
    from alerts.service import run as serve

    evaluator, deliverer = build(settings, registry, rules_file, db)
    if once:
        report = evaluator.run_pass()
        deliverer.run_due()
        typer.echo(f"alerts pass: {report.evaluated} rules, {len(report.events)} changes, "
                   f"{report.queued} notifications queued")  # fmt: skip
        raise typer.Exit(1 if report.failed_rules else 0)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_a: stop.set())
    serve(settings, evaluator, deliverer, stop)


app.command("run", help="Run evaluation and delivery (the default when no command is given).")(run)


@app.command("check")
def check(config: ConfigOpt = None, rules: RulesOpt = None) -> None:
    """Load the rules file against the registry and report every mistake (exit 2)."""
    settings = settings_or_fail(COMPONENT, AlertsSettings, config=config, alerts_rules=rules)
    _, loaded = _load(settings)
    typer.echo(f"{settings.alerts_rules}: {len(loaded.rules)} rules, {len(loaded.targets)} targets")


@app.command("list")
def list_alerts(db_url: DbUrlOpt = None, site: SiteOpt = None) -> None:
    """Alerts that ever fired: id, state, severity, rule, originator, fired, cleared, ack."""
    settings = settings_or_fail(COMPONENT, AlertsSettings, db_url=db_url)
    for a in store.all_alerts(_database(settings.db_url), site=site):
        fired = a.fired_at.isoformat() if a.fired_at else "-"
        cleared = a.cleared_at.isoformat() if a.cleared_at else "-"
        acked = f"{a.acked_by}: {a.ack_note}" if a.acked_by else "-"
        typer.echo(
            f"{a.id}\t{a.state}\t{a.severity}\t{a.rule}\t{a.originator}\t{fired}\t{cleared}\t{acked}"
        )


@app.command("ack")
def ack(
    alert_id: Annotated[int, typer.Argument(help="the alert's id (see `list`)")],
    by: Annotated[str, typer.Option("--by", help="who acknowledges")],
    note: Annotated[str, typer.Option("--note", help="what is being done about it")] = "",
    site: SiteOpt = None,
    db_url: DbUrlOpt = None,
    influx_url: InfluxUrlOpt = None,
    influx_token: InfluxTokenOpt = None,
    influx_org: InfluxOrgOpt = None,
    influx_bucket: InfluxBucketOpt = None,
) -> None:
    """Acknowledge an alert (active or cleared-unacknowledged), with a note.

    The acknowledgement is also written to alert_events for the boards (best effort)."""
    setup_logging(COMPONENT)
    settings = settings_or_fail(
        COMPONENT, AlertsSettings, db_url=db_url, influx_url=influx_url,
        influx_token=influx_token, influx_org=influx_org, influx_bucket=influx_bucket,
    )  # fmt: skip
    now = clock.now_utc()
    done = store.acknowledge(_database(settings.db_url), alert_id, by, note, now, site)
    if done is None:
        fail(COMPONENT, f"ack: alert {alert_id} does not exist here or needs no acknowledgement")
    from alerts.events import EventLog

    events = EventLog(settings.influx_url, settings.influx_token_value(), settings.influx_org,
                      settings.influx_bucket)  # fmt: skip
    events.write_events([(done, Event.ACKNOWLEDGED)], now)
    events.close()
    typer.echo(f"alert {alert_id}: {done.state} by {by}")


@app.command("silence")
def silence(
    match: Annotated[
        list[str], typer.Option("--match", help="label=value (repeatable; all must match)")
    ],
    duration: Annotated[str, typer.Option("--for", help="how long, e.g. 2h")],
    by: Annotated[str, typer.Option("--by", help="who silences")],
    comment: Annotated[str, typer.Option("--comment", help="why (maintenance work)")],
    db_url: DbUrlOpt = None,
) -> None:
    """Silence matching alerts from now for --for: no delivery; state still changes."""
    settings = settings_or_fail(COMPONENT, AlertsSettings, db_url=db_url)
    matchers = dict(m.split("=", 1) for m in match if "=" in m)
    if len(matchers) != len(match):
        fail(COMPONENT, "silence: --match takes label=value")
    try:
        seconds = parse_duration(duration)
    except ValueError as exc:
        fail(COMPONENT, f"silence: --for: {exc}")
    now = clock.now_utc()
    ends = now + timedelta(seconds=seconds)
    sid = store.add_silence(_database(settings.db_url), matchers, now, ends, by, comment, now)
    typer.echo(f"silence {sid} until {ends.isoformat()}")


@app.command("purge")
def purge(
    older_than: Annotated[str, typer.Option("--older-than", help="e.g. 30d")] = "30d",
    db_url: DbUrlOpt = None,
) -> None:
    """Delete notifications delivered or dead-lettered longer ago than --older-than."""
    settings = settings_or_fail(COMPONENT, AlertsSettings, db_url=db_url)
    try:
        seconds = parse_duration(older_than)
    except ValueError as exc:
        fail(COMPONENT, f"purge: --older-than: {exc}")
    before = clock.now_utc() - timedelta(seconds=seconds)
    gone = store.purge_notifications(_database(settings.db_url), before)
    typer.echo(
        f"{gone} notifications delivered or dead-lettered before {before.isoformat()} deleted"
    )


def _load(settings: AlertsSettings) -> tuple[Registry, RulesFile]:
    try:
        registry = load_registry(settings.config)
        return registry, load_rules(settings.alerts_rules, registry)
    except ConfigError as exc:
        fail(COMPONENT, str(exc))


def _database(url: str) -> Engine:
    """The platform database, refused unless migrated to the newest revision."""
    problem = not_migrated(url)
    if problem:
        fail(COMPONENT, problem)
    return make_engine(url)
