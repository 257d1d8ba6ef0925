"""`python -m importers`: utilities' files into the wire contract, under an importer agent.

Each command reads one file, checks all of it, and only then publishes its
readings (all or nothing per file). Re-importing a file stores nothing twice:
a reading's point is its meter and period start, so it overwrites itself.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from importers.bills import read_bills
from importers.errors import Refused
from importers.forecast import Retention, forecast
from importers.greenbutton import read_greenbutton
from importers.history import LoggedReceipt, ReceiptLog, history
from importers.kapt import read_kapt
from importers.progress import file_progress, receipt_progress
from importers.publish import Publisher, PublishError, Tls, publish_all
from importers.receipts import ImportReceipt
from importers.seqstore import SeqBusy, SeqStore
from importers.settings import ImporterSettings
from importers.weather import import_weather
from telemetry.config.cli import AgentOpt, ConfigOpt, MqttCaOpt, MqttUrlOpt, fail, settings_or_fail
from telemetry.db import DEFAULT_DB_URL, migrate, redact_url
from telemetry.db.cli import DbUrlOpt
from telemetry.ids import is_valid_id
from telemetry.logs import setup_logging
from telemetry.readings_v2 import AnyReading
from telemetry.receipts import receipts_topic
from telemetry.registry import AgentKind, ConfigError, load_registry

COMPONENT = "importers"
FAILED = 1
REFUSED = 2  # bad input: readings (or the file) refused
log = logging.getLogger(COMPONENT)

app = typer.Typer(
    add_completion=False,
    help=(
        "Importers: read a Green Button XML file, a monthly bills CSV or an apartment "
        "complex's monthly costs CSV, check the whole file, and publish its readings over "
        "MQTT (QoS 1, energy.readings.v2) as an importer agent of the config, like an edge "
        "agent. A refused file publishes nothing. Secrets (ENERGY_MQTT_PASSWORD) come from "
        "the environment. weather-asos stores a KMA ASOS daily CSV in the platform database "
        "(--db-url) instead, and no agent is needed. Each import waits for the collector's "
        "receipt of every batch and prints, per meter, what was stored and what was refused "
        "and why (exit 2 when anything was refused), and keeps it in the platform database "
        "with --db-url (else in the state dir's receipts.jsonl); receipts lists the last ones."
    ),
)


class Format(StrEnum):
    GREENBUTTON = "greenbutton"
    BILLS = "bills"
    KAPT = "kapt"
    WEATHER_ASOS = "weather-asos"
    RECEIPTS = "receipts"


@app.command()
def main(
    fmt: Annotated[
        Format,
        typer.Argument(
            metavar="FORMAT",
            help="greenbutton (NAESB ESPI XML, direct or containerized), bills (monthly bills "
            "CSV), kapt (apartment-complex monthly costs CSV, stored as costs) or weather-asos "
            "(KMA ASOS daily CSV, CP949 or UTF-8, into the platform database); receipts lists "
            "the last imports' receipts (no FILE)",
        ),
    ],
    file: Annotated[
        Path | None,
        typer.Argument(exists=True, dir_okay=False, help="the file to import"),
    ] = None,
    household: Annotated[
        str | None,
        typer.Option("--household", help="greenbutton: household id; meters <household>-<utility>"),
    ] = None,
    config: ConfigOpt = None,
    agent: AgentOpt = None,
    mqtt_url: MqttUrlOpt = None,
    mqtt_ca: MqttCaOpt = None,
    max_file_bytes: Annotated[
        int | None,
        typer.Option(
            "--max-file-bytes", help="refuse larger files (env ENERGY_MAX_FILE_BYTES; 64 MiB)"
        ),
    ] = None,
    state_dir: Annotated[
        Path | None,
        typer.Option(
            "--state-dir", help="where batch seqs are kept (env ENERGY_STATE_DIR; var/importers)"
        ),
    ] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="check the file, print per meter what would be stored and refused (the raw "
            "retention foreseen), publish nothing, no broker needed",
        ),
    ] = False,
    station: Annotated[
        int | None,
        typer.Option(
            "--station", help="weather-asos: KMA station number (env ENERGY_WEATHER_STATION; 156)"
        ),
    ] = None,
    db_url: DbUrlOpt = None,
    last: Annotated[
        int, typer.Option("--last", min=1, help="receipts: how many of the last imports")
    ] = 10,
) -> None:
    """Import one file: check all of it, then publish it (all or nothing)."""
    setup_logging(COMPONENT)
    settings = settings_or_fail(
        COMPONENT,
        ImporterSettings,
        config=config,
        agent=agent,
        mqtt_url=mqtt_url,
        mqtt_ca=mqtt_ca,
        max_file_bytes=max_file_bytes,
        state_dir=state_dir,
        weather_station=station,
        db_url=db_url,
    )
    if fmt is Format.RECEIPTS:
        _show_receipts(settings, last)
        return
    if file is None:
        fail(COMPONENT, f"{fmt.value} needs FILE")
    if fmt is Format.WEATHER_ASOS:
        _weather(file, settings, check)
        return
    site = _importer_site(settings)
    try:
        readings = _read(fmt, file, household, settings.max_file_bytes)
    except Refused as exc:
        log.warning(
            "file refused", extra={"file": str(file), "reason": exc.message, "line": exc.line}
        )
        fail(COMPONENT, f"refused, nothing published: {exc}")
    meters = len({r.meter for r in readings})
    if check:
        _check(file, readings, meters, settings)
        return
    if settings.db_url:
        _require_newest(settings.db_url)  # before publishing: its receipt will be kept there
    started = datetime.now(UTC)
    receipt = _publish(settings, site, file, readings)
    entry = LoggedReceipt.finished(
        settings.agent or "",
        receipt,
        site,
        household if fmt is Format.GREENBUTTON else None,
        fmt.value,
        started,
        REFUSED if receipt.refused() else 0,
    )
    _keep(settings, entry)
    stored = f"{receipt.stored()} stored, {receipt.refused()} refused"
    _report(f"{file}: {len(readings)} readings of {meters} meters: {stored}", receipt)


def _check(
    file: Path, readings: Sequence[AnyReading], meters: int, settings: ImporterSettings
) -> None:
    kept = Retention(settings.raw_retention_days, settings.rollup_retention_days)
    would = forecast(file.name, readings, kept)
    stored = f"{would.stored()} would be stored, {would.refused()} refused"
    _report(
        f"{file}: {len(readings)} readings of {meters} meters, nothing published: {stored}",
        would,
    )


def _report(headline: str, receipt: ImportReceipt) -> None:
    """The receipt (or the forecast) as printed; exit 2 when anything is refused."""
    print(headline)
    print("\n".join(receipt.table()))
    if receipt.refused():
        raise typer.Exit(REFUSED)


def _keep(settings: ImporterSettings, entry: LoggedReceipt) -> None:
    """The receipt into the database (with a URL) or the state dir's file; when the database
    fails after the readings were published, into the file, and say so."""
    try:
        history(settings.state_dir, settings.db_url).record(entry)
    except SQLAlchemyError as exc:
        fallback = ReceiptLog(settings.state_dir)
        fallback.record(entry)
        reason = f"{exc.__class__.__name__}: {getattr(exc, 'orig', None) or exc}"
        url = redact_url(settings.db_url or "")
        log.error("receipt not stored in the database", extra={"db": url, "reason": reason})
        typer.echo(f"{url}: receipt not stored ({reason}); kept in {fallback.where()}", err=True)


def _show_receipts(settings: ImporterSettings, last: int) -> None:
    if settings.db_url:
        _require_newest(settings.db_url)
    try:
        entries = history(settings.state_dir, settings.db_url).last(last)
    except SQLAlchemyError as exc:
        reason = f"{exc.__class__.__name__}: {getattr(exc, 'orig', None) or exc}"
        fail(COMPONENT, f"{redact_url(settings.db_url or '')}: {reason}", FAILED)
    for entry in entries:
        r = entry.receipt
        who = " ".join(part for part in (entry.agent, entry.format, r.file) if part)
        household = f" household {entry.household}" if entry.household else ""
        status = f" exit {entry.exit_status}" if entry.format else ""
        print(f"{entry.at.isoformat()} {who}{household} ({r.import_id}){status}")
        print("\n".join(f"  {row}" for row in r.table()))


def _weather(file: Path, settings: ImporterSettings, check: bool) -> None:
    url = settings.db_url or DEFAULT_DB_URL
    try:
        _require_newest(url)
        lines, code = import_weather(
            file, settings.weather_station, url, settings.max_file_bytes, check
        )
    except Refused as exc:
        log.warning(
            "file refused", extra={"file": str(file), "reason": exc.message, "line": exc.line}
        )
        fail(COMPONENT, f"refused, nothing stored: {exc}")
    except SQLAlchemyError as exc:
        reason = f"{exc.__class__.__name__}: {getattr(exc, 'orig', None) or exc}"
        fail(COMPONENT, f"{redact_url(url)}: {reason}", FAILED)
    log.info("weather imported", extra={"file": str(file), "check": check, "exit": code})
    print("\n".join(lines))
    if code:
        raise typer.Exit(code)


def _require_newest(url: str) -> None:
    """The weather (0009) and receipts (0010) tables need the newest revision: say how."""
    at, newest = migrate.current(url), migrate.head()
    if at != newest:
        fail(
            COMPONENT,
            f"{redact_url(url)} is at revision {at or 'none'}, not {newest}: "
            "run python -m telemetry.db upgrade (the API does it when it starts)",
            FAILED,
        )


def _read(fmt: Format, file: Path, household: str | None, max_bytes: int) -> Sequence[AnyReading]:
    if fmt is Format.BILLS:
        return read_bills(file, max_bytes)
    if fmt is Format.KAPT:
        return read_kapt(file, max_bytes)
    if household is None or not is_valid_id(household):
        fail(COMPONENT, "greenbutton needs --household: lowercase letters, digits, '.', '_', '-'")
    with file_progress(file.stat().st_size) as read:
        return read_greenbutton(file, household, max_bytes, read)


def _importer_site(settings: ImporterSettings) -> str:
    try:
        registry = load_registry(settings.config)
    except ConfigError as exc:
        fail(COMPONENT, str(exc))
    agent = settings.agent
    if not agent:
        fail(COMPONENT, "--agent is required (an importer agent of the config)")
    if agent not in registry.agents:
        fail(COMPONENT, f"--agent {agent!r} is not an agent of {settings.config}")
    if registry.agents[agent].kind is not AgentKind.IMPORTER:
        fail(COMPONENT, f"--agent {agent!r} is an edge agent; give an agent with kind: importer")
    return registry.site_of_agent(agent).id


def _publish(
    settings: ImporterSettings, site: str, file: Path, readings: Sequence[AnyReading]
) -> ImportReceipt:
    agent = settings.agent or ""
    receipt = ImportReceipt(import_id=uuid.uuid4().hex, file=file.name)
    try:
        store = SeqStore(settings.state_dir, agent)
    except SeqBusy as exc:
        fail(COMPONENT, str(exc), FAILED)
    tls = Tls(
        *(str(p) if p else None for p in (settings.mqtt_ca, settings.mqtt_cert, settings.mqtt_key))
    )
    publisher = Publisher(
        settings.mqtt_target(),
        agent,
        settings.publish_timeout_s,
        tls,
        receipts_topic(site, agent, receipt.import_id),
        settings.receipt_timeout_s,
    )
    try:
        publisher.connect()
        with receipt_progress(len(readings)) as answered:
            sent = publish_all(
                publisher, store, site, agent, readings, settings.batch_readings, receipt, answered
            )
    except PublishError as exc:
        log.error("publish failed", extra={"reason": str(exc)})
        fail(COMPONENT, f"{exc}; re-run the import to complete it (a re-import overwrites)", FAILED)
    finally:
        publisher.close()
        store.close()
    log.info(
        "published",
        extra={
            "site": site,
            "agent": agent,
            "batches": sent,
            "readings": len(readings),
            "stored": receipt.stored(),
            "refused": receipt.refused(),
        },
    )
    return receipt
