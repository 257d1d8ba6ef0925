"""`python -m importers` as a real subprocess, and what the collector stored."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from telemetry.influx_schema import rollup_from
from tests.collector.helpers import CollectorProc, influx_rows
from tests.support.processes import run_module
from tests.support.waiting import wait_until

FILES = Path(__file__).parent / "files"
AGENT = "pungam-import"
SITE = "pungam-lh-apt"


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str


def run_import(
    fmt: str,
    file: Path,
    mqtt_url: str,
    state_dir: Path,
    *extra: str,
    check: bool = False,
    agent: str = AGENT,
    env: dict[str, str] | None = None,
) -> Run:
    argv = [fmt, str(file), "--agent", agent]
    argv += ["--mqtt-url", mqtt_url, "--state-dir", str(state_dir), *extra]
    argv += ["--check"] if check else []
    p = run_module("importers", *argv, env=env, timeout=120)
    return Run(p.returncode, p.stdout, p.stderr)


def written(collector: CollectorProc) -> float:
    return collector.metrics().get("collector_readings_written_total", 0.0)


def imported(collector: CollectorProc, before: float, readings: int) -> None:
    """Wait until the collector has stored `readings` more readings than `before`."""
    wait_until(
        lambda: written(collector) >= before + readings,
        60,
        f"{readings} imported readings stored\n{collector.log_tail()}",
    )


def points(url: str, db: str, measurement: str, meter_prefix: str) -> list[dict]:
    """Every stored point of meters starting with `meter_prefix`, oldest first, ms times."""
    q = (
        f'SELECT * FROM {rollup_from(measurement)} WHERE "meter" =~ /^{meter_prefix}/ '
        'GROUP BY "meter" ORDER BY time ASC'
    )
    return influx_rows(url, q, db, epoch="ms")


def everything(url: str, db: str) -> dict[str, int]:
    """How many points each measurement holds (to see that nothing else was stored)."""
    out: dict[str, int] = {}
    for row in influx_rows(url, "SHOW MEASUREMENTS", db):
        name = row["name"]
        counts = influx_rows(url, f"SELECT count(*) FROM {rollup_from(name)}", db)
        row = counts[0] if counts else {}
        out[name] = max((v for k, v in row.items() if k.startswith("count_")), default=0)
    return out
