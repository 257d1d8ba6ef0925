"""`python -m collector rollup`: the rollup process (typer app `app`)."""

from __future__ import annotations

import logging
import re
import sys
import time
from collections import Counter
from datetime import datetime
from typing import Annotated

import typer
from influxdb_client.client.exceptions import InfluxDBError

from collector.rollup.audit import period_system, run_audit
from collector.rollup.cadence import pause
from collector.rollup.compute import Computer
from collector.rollup.engine import Engine, Windows
from collector.rollup.groups import site_infos
from collector.rollup.heap import Heap
from collector.rollup.merge import Merge
from collector.rollup.partition import (
    Partition,
    partition_scope,
    partition_sites,
    partitions,
    uncovered,
)
from collector.rollup.periods import KST
from collector.rollup.placement import Placement
from collector.rollup.plan import lines as plan_lines
from collector.rollup.plan import load_capacity, plan
from collector.rollup.settings import RollupSettings
from collector.rollup.sink import Sink
from collector.rollup.snapshot import Snapshots
from collector.rollup.source import PublicMarkers, RawSource
from collector.rollup.workers import Worker
from collector.rollup.writer import Buckets, Writer
from telemetry.config.cli import (
    ConfigOpt,
    InfluxBucketOpt,
    InfluxOrgOpt,
    InfluxPublicBucketOpt,
    InfluxTokenOpt,
    InfluxUrlOpt,
    fail,
    settings_or_fail,
    stop_on_signals,
)
from telemetry.db.engine import DEFAULT_DB_URL, make_engine
from telemetry.db.migrate import not_migrated
from telemetry.emissions import load_emission_factors
from telemetry.influx_schema import CONSUMPTION_1D, CONSUMPTION_1H, CONSUMPTION_1MO
from telemetry.influxql import InfluxQL, InfluxQueryError
from telemetry.logs import setup_logging
from telemetry.months import month_of
from telemetry.registry import ConfigError, Registry, load_registry_lean

COMPONENT = "collector rollup"
NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")  # a partition's: a tag value and a lease key
app = typer.Typer(
    help=(
        "Compute city-wide rollups from raw readings: live totals per minute, "
        "consumption per hour, day and month, from counters and imported intervals (per meter and per district × dong × "
        "building type), CO2e, and the privacy-checked copy in the public bucket."
    ),
    no_args_is_help=False,
    add_completion=False,
)


@app.callback(invoke_without_command=True)
def rollup(
    ctx: typer.Context,
    config: ConfigOpt = None,
    influx_url: InfluxUrlOpt = None,
    influx_token: InfluxTokenOpt = None,
    influx_org: InfluxOrgOpt = None,
    influx_bucket: InfluxBucketOpt = None,
    influx_public_bucket: InfluxPublicBucketOpt = None,
    once: Annotated[bool, typer.Option("--once", help="one pass, then exit")] = False,
    interval: Annotated[
        float | None, typer.Option("--interval", help="seconds between pass starts (default 60)")
    ] = None,
    lookback: Annotated[
        float | None,
        typer.Option(
            "--lookback",
            help="seconds of consumption a full pass recomputes (default 7200; regular passes "
            "recompute what the collectors' arrival markers name); a replayed outbox "
            "(agent status) or downtime (watermark) reaches further",
        ),
    ] = None,
    live_lookback: Annotated[
        float | None,
        typer.Option(
            "--live-lookback", help="seconds of live minutes a full pass recomputes (default 600)"
        ),
    ] = None,
    privacy_k: Annotated[
        int | None,
        typer.Option(
            "--privacy-k", help="public groups cover at least k households or sites (default 5)"
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="log every pass")] = False,
    partition: Annotated[
        str | None,
        typer.Option(
            "--partition",
            help="run as the worker of this partition (settings `partitions`; default one "
            "per district): its finest cells for the merge, nothing public",
        ),
    ] = None,
    merge: Annotated[
        bool,
        typer.Option("--merge", help="run the merge of the workers' cells: the public figures"),
    ] = False,
    plan_: Annotated[
        bool,
        typer.Option(
            "--plan", help="print the workers, interval, memory and disk that carry --meters"
        ),
    ] = False,
    meters: Annotated[int, typer.Option("--meters", help="the city's meters (--plan)")] = 0,
    read_s: Annotated[
        float, typer.Option("--read-s", help="seconds between a meter's readings (--plan)")
    ] = 900.0,
    worker: Annotated[
        bool,
        typer.Option(
            "--worker",
            help="run as a worker taking partitions by lease in the platform database "
            "(its share, and any whose lease expired)",
        ),
    ] = False,
) -> None:
    """Run rollup passes every --interval seconds (or one with --once)."""
    if ctx.invoked_subcommand is not None:
        return
    if plan_:
        _print_plan(meters, read_s)
        return
    setup_logging(COMPONENT, logging.INFO if verbose else logging.WARNING)
    settings = settings_or_fail(
        COMPONENT,
        RollupSettings,
        config=config,
        influx_url=influx_url,
        influx_token=influx_token,
        influx_org=influx_org,
        influx_bucket=influx_bucket,
        influx_public_bucket=influx_public_bucket,
        interval_s=interval,
        lookback_s=lookback,
        live_lookback_s=live_lookback,
        privacy_k=privacy_k,
    )
    snapshots = None if merge or worker else _snapshots(settings, partition)
    try:  # the meter states are read while a child parses the registry
        registry = load_registry_lean(settings.config, snapshots and snapshots.read_ahead)
    except ConfigError as exc:
        fail(COMPONENT, str(exc))
    if merge:
        _run_merge(build_merge(settings, registry), once, settings.interval_s)
        return
    if worker:
        build_worker(settings, registry).loop(settings.interval_s, stop_on_signals())
        return
    part = _partition(settings, registry, partition)
    engine = build_engine(settings, registry, Heap(), part, snapshots)
    if once:
        try:
            report = engine.run_pass()
        except (InfluxQueryError, InfluxDBError, OSError) as exc:
            fail(COMPONENT, f"pass failed: InfluxDB at {settings.influx_url}: {exc}", code=1)
        how = (
            "full"
            if report.full
            else f"{report.markers} arrival markers, {report.touched_sites} sites"
        )
        typer.echo(
            f"rollup pass ({how}): {report.private_points} private and "
            f"{report.public_points} public points written"
        )
        engine.save_states()  # the next --once resumes from them
        return
    _loop(engine, settings.interval_s)


EVERY = {"hour": CONSUMPTION_1H, "day": CONSUMPTION_1D, "month": CONSUMPTION_1MO}


@app.command("disclosure-audit")
def disclosure_audit(
    period: Annotated[
        str,
        typer.Option(
            "--period",
            help="the period to audit, in KST: 2026-12-05T10 (an hour), "
            "2026-12-05 (a day, with its hours), 2026-12 (a month)",
        ),
    ],
    config: ConfigOpt = None,
    influx_url: InfluxUrlOpt = None,
    influx_token: InfluxTokenOpt = None,
    influx_org: InfluxOrgOpt = None,
    influx_bucket: InfluxBucketOpt = None,
    influx_public_bucket: InfluxPublicBucketOpt = None,
    privacy_k: Annotated[
        int | None, typer.Option("--privacy-k", help="k of the rules to audit against")
    ] = None,
) -> None:
    """Audit what the public bucket shows of one period: every protected group's interval
    by linear programming from every published figure and sum (a day: with its hours).
    Exit 1 when a group is narrowed below its protection interval."""
    settings = settings_or_fail(
        COMPONENT,
        RollupSettings,
        config=config,
        influx_url=influx_url,
        influx_token=influx_token,
        influx_org=influx_org,
        influx_bucket=influx_bucket,
        influx_public_bucket=influx_public_bucket,
        privacy_k=privacy_k,
    )
    every, ts = parse_period(period)
    ql = InfluxQL(settings.influx_url, settings.influx_token_value(), timeout_s=120)
    rules = settings.disclosure.rules(settings.privacy_k)
    source = RawSource(ql, settings.influx_bucket)
    public = PublicMarkers(ql, settings.influx_public_bucket)
    try:
        audited = period_system(source, public, EVERY[every], ts, rules)
    except (InfluxQueryError, InfluxDBError, OSError) as exc:
        fail(COMPONENT, f"InfluxDB at {settings.influx_url}: {exc}", code=1)
    except ValueError as exc:
        fail(COMPONENT, f"the stored figures of {period} do not add up ({exc}); audit its "
             "hours and the day again after the next pass", code=1)  # fmt: skip
    if audited is None:
        fail(COMPONENT, f"no group points stored for {period} ({every})")
    with typer.progressbar(length=len(audited.needs), label="auditing", file=sys.stderr) as bar:
        exposed = run_audit(audited, bar.update)
    typer.echo(
        f"{period} ({every}): {len(audited.system.units)} groups, {len(audited.published)} "
        f"published, {len(audited.needs)} protected quantities, {len(exposed)} exposed"
    )
    for e in exposed:
        typer.echo(f"EXPOSED {e}")
    raise typer.Exit(1 if exposed else 0)


def parse_period(text: str) -> tuple[str, int]:
    """('hour' | 'day' | 'month', period start ms) of 2026-12-05T10, 2026-12-05, 2026-12."""
    forms = (("%Y-%m", "month"), ("%Y-%m-%d", "day"), ("%Y-%m-%dT%H", "hour"))
    for form, every in forms:
        try:
            local = datetime.strptime(text, form).replace(tzinfo=KST)
        except ValueError:
            continue
        ms = int(local.timestamp() * 1000)
        return every, month_of(ms) if every == "month" else ms
    fail(COMPONENT, f"--period {text!r}: expected 2026-12-05T10 (hour), 2026-12-05 or 2026-12")


def _partition(settings: RollupSettings, registry: Registry, name: str | None) -> Partition | None:
    if name is None:
        return None
    known = rollup_partitions(settings, registry)
    found = next((p for p in known if p.name == name), None)
    if found is None:
        fail(COMPONENT, f"--partition {name!r}: not a partition; known: {[p.name for p in known]}")
    return found


def rollup_partitions(settings: RollupSettings, registry: Registry) -> list[Partition]:
    """The partitions, refused unless each district lies in exactly one."""
    weights = Counter(dict.fromkeys(registry.geography.districts, 0))
    weights.update(s.district for s in registry.sites.values())
    parts = partitions(weights, settings.partitions, settings.rollup_workers)
    districts = set(weights)
    names = [p.name for p in parts if not NAME.fullmatch(p.name)]
    if names:
        fail(COMPONENT, f"partitions: names {names} must be letters, digits, '-' or '_'")
    wrong = uncovered(parts, districts)
    if wrong:
        fail(COMPONENT, f"partitions: districts {wrong} are in no partition or in several")
    return parts


def _computer(
    settings: RollupSettings, registry: Registry, source: RawSource, part: Partition | None
) -> Computer:
    every = site_infos(registry)
    sites = every if part is None else partition_sites(every, registry, part)
    computer = Computer(
        source,
        sites,
        load_emission_factors(),
        settings.disclosure.rules(settings.privacy_k),
        int(settings.bridge_s * 1000),
        Placement(every, registry),  # households count in their own dong, wherever stored
    )
    computer.partition = part
    computer.outside = frozenset(every) - frozenset(sites)
    if part is not None:  # importers' sites in other districts are read too
        elsewhere = sorted(s for s, i in sites.items() if i.district not in part.districts)
        source.scope = partition_scope(part, elsewhere)
    return computer


def _io(settings: RollupSettings, part: str = "") -> tuple[InfluxQL, RawSource, Sink, Buckets]:
    ql = InfluxQL(settings.influx_url, settings.influx_token_value(), timeout_s=120)
    source = RawSource(ql, settings.influx_bucket, part)
    sink = Sink(settings.influx_url, settings.influx_token_value(), settings.influx_org)
    ql.before_query = sink.flush  # the sink pipelines its writes: reads wait for them
    buckets = Buckets(
        settings.influx_bucket, settings.influx_public_bucket, settings.rollup_bucket()
    )
    return ql, source, sink, buckets


def build_merge(settings: RollupSettings, registry: Registry) -> Merge:
    ql, source, sink, buckets = _io(settings)
    computer = _computer(settings, registry, source, None)
    names = [p.name for p in rollup_partitions(settings, registry)]
    writer = Writer(sink, buckets, PublicMarkers(ql, settings.influx_public_bucket))
    return Merge(computer, source, writer, names, int(settings.max_catchup_s * 1000))


def build_worker(settings: RollupSettings, registry: Registry) -> Worker:
    url = settings.db_url or DEFAULT_DB_URL
    problem = not_migrated(url)
    if problem:
        fail(COMPONENT, problem)
    return Worker(
        make_engine(url),
        rollup_partitions(settings, registry),
        lambda part: build_engine(settings, registry, Heap(), part),
        settings.rollup_workers,
        settings.lease_ttl_s,
    )


def build_engine(
    settings: RollupSettings,
    registry: Registry,
    heap: Heap | None = None,
    part: Partition | None = None,
    snapshots: Snapshots | None = None,
) -> Engine:
    ql, source, sink, buckets = _io(settings, part.name if part is not None else "")
    computer = _computer(settings, registry, source, part)
    # A worker publishes nothing: the merge decides and writes the public figures.
    markers = PublicMarkers(ql, settings.influx_public_bucket) if part is None else None
    return Engine(
        computer,
        source,
        sink,
        buckets,
        Windows(
            lookback_ms=int(settings.lookback_s * 1000),
            live_lookback_ms=int(settings.live_lookback_s * 1000),
            max_catchup_ms=int(settings.max_catchup_s * 1000),
            chunk_ms=int(settings.chunk_s * 1000),
            arrival_slack_ms=int(settings.arrival_slack_s * 1000),
            live_catchup_ms=None
            if settings.live_catchup_s is None
            else int(settings.live_catchup_s * 1000),
        ),
        markers=markers,
        heap=heap,
        snapshots=snapshots or _snapshots(settings, part.name if part is not None else None),
    )


def _snapshots(settings: RollupSettings, partition: str | None) -> Snapshots | None:
    """Where this process keeps its meter states: a worker's per partition."""
    path = settings.state_path
    if path is None:
        return None
    if partition is not None:
        path = path.with_name(f"{path.stem}-{partition}{path.suffix}")
    owner = f"{settings.influx_url} {settings.influx_bucket} {partition or ''}".strip()
    return Snapshots(path, settings.state_every_s, owner=owner)


def _print_plan(meters: int, read_s: float) -> None:
    if meters <= 0 or read_s <= 0:
        fail(COMPONENT, f"--plan needs --meters > 0 and --read-s > 0 (got {meters}, {read_s:g})")
    try:
        capacity = load_capacity()
    except ConfigError as exc:
        fail(COMPONENT, str(exc))
    for text in plan_lines(plan(meters, read_s, capacity)):
        typer.echo(text)


def _run_merge(merge: Merge, once: bool, interval_s: float) -> None:
    stop = stop_on_signals()
    while True:
        started = time.monotonic()
        try:
            report = merge.run_pass()
        except (InfluxQueryError, InfluxDBError, OSError) as exc:
            if once:
                fail(COMPONENT, f"merge failed: {exc}", code=1)
            logging.getLogger("collector.rollup").exception("merge pass failed")
        else:
            if once:
                waits = f", waiting for partitions {report.waiting}" if report.waiting else ""
                typer.echo(
                    f"merge pass: {report.periods} periods, {report.private_points} private "
                    f"and {report.public_points} public points written{waits}"
                )
                return
        if stop.wait(pause(started, interval_s)):
            return


def _loop(engine: Engine, interval_s: float) -> None:
    stop = stop_on_signals()
    while not stop.is_set():
        started = time.monotonic()
        try:
            engine.run_pass()
        except Exception:  # a failed pass (InfluxDB down) is retried at the next interval
            logging.getLogger("collector.rollup").exception("rollup pass failed")
        stop.wait(pause(started, interval_s))
    engine.save_states()
