"""Receipts: each import says per meter what InfluxDB stored and what was refused, and why.

Real Mosquitto, the real collector and InfluxDB, with a raw retention of 30
days and imported history kept 60 days (the rollups' retention; forever by
default), so a bill older than 60 days is dropped by InfluxDB itself (a
partial write) and must be reported refused, never stored; a bill between
30 and 60 days old is kept, beyond the raw retention. Expected counts are
checked against what InfluxDB holds afterwards.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from devstack import InfluxServer, MosquittoServer
from importers.history import FILE_NAME
from importers.publish import Publisher, Tls
from telemetry.db import import_receipts, make_engine
from telemetry.db.migrate import upgrade
from telemetry.mqtt_url import parse_mqtt_url
from telemetry.readings_v2 import Interval, IntervalReading, ReadingBatchV2
from telemetry.receipts import receipts_topic
from tests.collector.helpers import influx_rows
from tests.db.conftest import db_url  # noqa: F401 (fixture)
from tests.importers.conftest import Stack, running_stack
from tests.importers.procs import AGENT, SITE, run_import
from tests.support.processes import Processes, run_module

pytestmark = pytest.mark.timeout(240)

HEADER = "household,utility,period_start,period_end,quantity,unit\n"


@pytest.fixture(scope="module")
def kept_30d(tmp_path_factory: pytest.TempPathFactory, influx: InfluxServer) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("receipts")
    with running_stack(workdir, influx, "receipts", "30d", imported_retention="60d") as s:
        yield s


def _ago(days: int) -> date:
    return datetime.now(UTC).date() - timedelta(days=days)


def _bill(household: str, start: date, end: date, kwh: float) -> str:
    return f"{household},electricity,{start},{end},{kwh},kWh\n"


def _bills(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "bills.csv"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def _stored(stack: Stack, meter: str) -> int:
    rows = influx_rows(
        stack.influx.url,
        f'SELECT count("energy_kwh") FROM "imported"."electricity_interval" WHERE "meter" = \'{meter}\'',
        stack.db,
    )
    return int(rows[0]["count"]) if rows else 0


def _row(stdout: str, meter: str) -> str:
    """The receipt's line of `meter`, its columns one space apart."""
    found = [" ".join(line.split()) for line in stdout.splitlines() if line.startswith(meter + " ")]
    assert len(found) == 1, stdout
    return found[0]


def test_readings_beyond_retention_are_refused_by_name_and_not_counted_stored(
    kept_30d: Stack, tmp_path: Path
) -> None:
    old, new = _ago(200), _ago(20)
    past_raw = _ago(45)  # older than the raw retention, within the imported history's
    file = _bills(
        tmp_path,
        _bill("hh-r1", new, new + timedelta(days=9), 12.5),
        _bill("hh-r1", old, old + timedelta(days=29), 300.0),
        _bill("hh-r1", old + timedelta(days=30), old + timedelta(days=59), 310.0),
        _bill("hh-r2", new, new + timedelta(days=9), 8.0),
        _bill("hh-r2", past_raw, past_raw + timedelta(days=9), 9.0),
    )
    run = run_import("bills", file, kept_30d.broker.url, tmp_path / "state")
    assert run.code == 2, run.stdout + run.stderr
    assert "5 readings of 2 meters: 3 stored, 2 refused" in run.stdout
    assert (
        _row(run.stdout, "hh-r1-electricity-bill")
        == "hh-r1-electricity-bill 1 2 beyond_retention 2"
    )
    assert _row(run.stdout, "hh-r2-electricity-bill") == "hh-r2-electricity-bill 2 0"
    assert "refused beyond_retention: " in run.stdout
    assert "retention" in run.stdout.split("refused beyond_retention: ", 1)[1]
    # The receipt counts exactly what InfluxDB holds.
    assert _stored(kept_30d, "hh-r1-electricity-bill") == 1
    assert _stored(kept_30d, "hh-r2-electricity-bill") == 2


def test_an_all_good_import_exits_0_with_exact_counts(kept_30d: Stack, tmp_path: Path) -> None:
    today = datetime.now(UTC).date()
    days = [today - timedelta(days=d) for d in (25, 15, 5)]
    file = _bills(tmp_path, *(_bill("hh-g1", d, d + timedelta(days=3), 10.0) for d in days))
    run = run_import("bills", file, kept_30d.broker.url, tmp_path / "state")
    assert run.code == 0, run.stdout + run.stderr
    assert "3 readings of 1 meters: 3 stored, 0 refused" in run.stdout
    assert _row(run.stdout, "hh-g1-electricity-bill") == "hh-g1-electricity-bill 3 0"
    assert _stored(kept_30d, "hh-g1-electricity-bill") == 3


def test_the_last_imports_receipts_are_listed(kept_30d: Stack, tmp_path: Path) -> None:
    today = datetime.now(UTC).date()
    state = tmp_path / "state"
    old = today - timedelta(days=100)
    for household, start in (("hh-l1", today - timedelta(days=10)), ("hh-l2", old)):
        file = _bills(tmp_path, _bill(household, start, start + timedelta(days=3), 1.0))
        run_import("bills", file, kept_30d.broker.url, state)
    listed = run_import_receipts(state, "--last", "1")
    assert listed.returncode == 0, listed.stderr
    assert "hh-l2-electricity-bill" in listed.stdout
    assert "beyond_retention 1" in listed.stdout
    assert "hh-l1" not in listed.stdout  # only the last one
    both = run_import_receipts(state, "--last", "5")
    assert both.stdout.index("hh-l2") < both.stdout.index("hh-l1")  # newest first


def test_with_a_database_the_receipts_are_kept_there_and_listed_from_it(
    kept_30d: Stack,
    tmp_path: Path,
    db_url: str,  # noqa: F811 (fixture)
) -> None:
    """On both engines: the import's row (what, who, when, per meter, exit status); the state
    dir's file is not written; `receipts --db-url` lists from the table."""
    today = datetime.now(UTC).date()
    state = tmp_path / "state"
    unmigrated = _bills(
        tmp_path, _bill("hh-d0", today - timedelta(days=3), today - timedelta(days=2), 1.0)
    )
    refused = run_import("bills", unmigrated, kept_30d.broker.url, state, "--db-url", db_url)
    assert refused.code == 1 and "run python -m telemetry.db upgrade" in refused.stderr
    upgrade(db_url)
    good = _bills(
        tmp_path, _bill("hh-d1", today - timedelta(days=9), today - timedelta(days=2), 2.0)
    )
    assert run_import("bills", good, kept_30d.broker.url, state, "--db-url", db_url).code == 0
    old = today - timedelta(days=100)
    partly = _bills(
        tmp_path,
        _bill("hh-d2", today - timedelta(days=5), today - timedelta(days=2), 1.0),
        _bill("hh-d2", old, old + timedelta(days=3), 1.0),
    )
    run = run_import("bills", partly, kept_30d.broker.url, state, "--db-url", db_url)
    assert run.code == 2, run.stdout + run.stderr
    assert not (state / FILE_NAME).exists()
    # Stopped before publishing: the later imports of this agent are stored, hh-d0 is not.
    assert _stored(kept_30d, "hh-d0-electricity-bill") == 0
    assert _stored(kept_30d, "hh-d2-electricity-bill") == 1
    engine = make_engine(db_url)
    with engine.connect() as conn:
        newest, first = import_receipts.last(conn, 5)
    engine.dispose()
    assert (newest.site, newest.agent, newest.format, newest.file) == (
        SITE,
        AGENT,
        "bills",
        "bills.csv",
    )
    assert newest.household is None and newest.exit_status == 2
    assert newest.meters == {
        "hh-d2-electricity-bill": {"stored": 1, "refused": {"beyond_retention": 1}}
    }
    assert "retention" in newest.details["beyond_retention"]
    assert newest.started_at <= newest.finished_at and first.finished_at <= newest.started_at
    assert first.meters == {"hh-d1-electricity-bill": {"stored": 1, "refused": {}}}
    assert first.exit_status == 0
    listed = run_import_receipts(state, "--db-url", db_url, "--last", "1")
    assert listed.returncode == 0, listed.stderr
    assert f"{AGENT} bills bills.csv ({newest.import_id}) exit 2" in listed.stdout
    rows = [" ".join(line.split()) for line in listed.stdout.splitlines()]
    assert "hh-d2-electricity-bill 1 1 beyond_retention 1" in rows
    assert "hh-d1" not in listed.stdout
    assert "hh-d1" not in run_import_receipts(state, "--last", "5").stdout  # not in the file


def run_import_receipts(state: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_module("importers", "receipts", "--state-dir", str(state), *extra)


def test_a_batch_the_collector_refuses_is_answered_with_its_reason(kept_30d: Stack) -> None:
    """An interval ending tomorrow: the collector refuses the batch as ts_future."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    future = IntervalReading(
        meter="hh-f1-electricity",
        utility="electricity",
        interval=Interval(start=start, end=start + timedelta(days=2)),
        values={"energy_kwh": 1.0},
    )
    batch = ReadingBatchV2(site=SITE, agent=AGENT, seq=900_001, readings=[future])
    topic = receipts_topic(SITE, AGENT, uuid.uuid4().hex)
    publisher = Publisher(
        parse_mqtt_url(kept_30d.broker.url), f"{AGENT}-t", 10.0, Tls(), topic, 60.0
    )
    publisher.connect()
    try:
        publisher.publish(batch)
        answer = publisher.receipt(batch.seq)
    finally:
        publisher.close()
    assert answer.seq == batch.seq
    assert answer.meters["hh-f1-electricity"].stored == 0
    assert answer.meters["hh-f1-electricity"].refused == {"ts_future": 1}
    assert "future" in answer.details["ts_future"]
    assert _stored(kept_30d, "hh-f1-electricity") == 0


def test_no_collector_no_receipt_exits_non_zero_naming_the_batch(
    tmp_path: Path, processes: Processes
) -> None:
    broker = MosquittoServer(tmp_path / "lonely")  # its own: no collector ever subscribes
    broker.start()
    try:
        day = datetime.now(UTC).date() - timedelta(days=10)
        file = _bills(tmp_path, _bill("hh-n1", day, day + timedelta(days=3), 1.0))
        run = processes.run_module(
            "importers",
            *("bills", file, "--agent", AGENT, "--mqtt-url", broker.url),
            *("--state-dir", tmp_path / "state"),
            env={"ENERGY_RECEIPT_TIMEOUT_S": "2"},
        )
    finally:
        broker.stop()
    assert run.returncode == 1, run.stdout + run.stderr
    assert "no receipt for batch 0 within 2 s: is the collector running?" in run.stderr
    assert "stored" not in run.stdout


def test_check_foresees_the_retention_with_no_broker(tmp_path: Path, processes: Processes) -> None:
    old, past_raw, new = _ago(90), _ago(45), _ago(10)
    file = _bills(
        tmp_path,
        _bill("hh-k1", new, new + timedelta(days=3), 1.0),
        _bill("hh-k1", past_raw, past_raw + timedelta(days=3), 1.0),
        _bill("hh-k1", old, old + timedelta(days=3), 1.0),
    )
    run = processes.run_module(
        "importers",
        *("bills", file, "--agent", AGENT, "--check", "--state-dir", tmp_path / "state"),
        *("--mqtt-url", "mqtt://127.0.0.1:9"),  # nothing listens: none is needed
        env={"ENERGY_RAW_RETENTION_DAYS": "30", "ENERGY_ROLLUP_RETENTION_DAYS": "60"},
    )
    assert run.returncode == 2, run.stdout + run.stderr
    assert "3 readings of 1 meters, nothing published: 2 would be stored, 1 refused" in run.stdout
    assert (
        _row(run.stdout, "hh-k1-electricity-bill")
        == "hh-k1-electricity-bill 2 1 beyond_retention 1"
    )
    assert "older than the imported history's retention of 60 days" in run.stdout
