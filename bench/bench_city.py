"""The city on one box (start): fleet → Mosquitto → N collectors → InfluxDB → rollup.

One run, in a temporary directory, everything real and separate processes:
  - the fleet generator's plan (`simulators.fleet`: sites spread over the
    districts by households, one agent per site) written as the sites file;
  - Mosquitto and InfluxDB 1.6 (devstack, TSI index);
  - `--collectors` × `python -m collector run` on one shared subscription;
  - `python -m collector rollup` (a pass every --rollup-interval seconds);
  - `python -m simulators fleet` at --read-s between an agent's batches
    (15-minute reads by default, agents staggered over the interval), in
    real time: the rollups' windows end at the wall clock, so readings must
    not run ahead of it.
Every --sample-s it samples: readings stored (the collectors' `written`),
the collectors' lag p99 (reading time to stored), how far the city's
`live_1m` is behind the wall clock (time since the end of its newest minute;
0 while that minute is the current one; up to the pass interval plus a
pass's duration when all is well) and the rollup's arrival cursor, InfluxDB's series
count, RSS of influxd, the collectors and the rollup, and InfluxDB's disk.
Prints those, per million readings where it says so, and where it stops and
why (collector lag p99 over 60 s, or live_1m more than 120 s behind).
Rollup lag here is sampled staleness, not per reading. Not yet: several
simulated hours at accelerated time (the rollups' windows end at the wall
clock), the city's household figures per dong, the 2.4M-meter run.

    python -m bench.bench_city [--meters 20000] [--meters-per-agent 4] [--minutes 5]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import httpx
import typer

from devstack import InfluxServer, MosquittoServer, component_env, free_port
from simulators.fleet.plan import plan_fleet
from simulators.fleet.registry_file import write_sites_file
from telemetry.influx_schema import ROLLUP_WATERMARK, rollup_from
from telemetry.influxql import InfluxQL

DB, PUBLIC = "energy", "energy_public"
LAG_LIMIT_S, LIVE_LIMIT_S = 60.0, 120.0


@dataclass
class Samples:
    written: list[tuple[float, float]] = field(default_factory=list)  # (t, readings stored)
    collector_lag_p99: list[float] = field(default_factory=list)
    live_behind: list[float] = field(default_factory=list)
    cursor_behind: list[float] = field(default_factory=list)
    series: int = 0
    rss_mb: dict[str, float] = field(default_factory=dict)
    disk_mb: float = 0.0
    stopped: str = ""
    tails: dict[str, str] = field(default_factory=dict)  # last log lines per process


def rss_mb(pid: int | None) -> float:
    if pid is None:
        return 0.0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return 0.0
    return 0.0


def disk_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def python(module: str, *args: str, log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", module, *args],
            env=component_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )


def wait_ready(ports: list[int], procs: dict[str, subprocess.Popen]) -> None:
    deadline = time.monotonic() + 120
    for port in ports:
        while not _ready(port):
            dead = [n for n, p in procs.items() if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                raise RuntimeError(f"not ready: collector on health port {port}; exited: {dead}")
            time.sleep(0.5)


def _ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def sample(ql: InfluxQL, now: float, out: Samples) -> None:
    stats = ql.rows(
        "SELECT last(written), last(lag_p99_s) FROM collector_stats "
        "WHERE time > now() - 1m GROUP BY instance",
        DB,
    )
    out.written.append((now, float(sum(r.get("last") or 0 for r in stats))))
    lags = [float(r.get("last_1") or 0) for r in stats]
    if lags:
        out.collector_lag_p99.append(max(lags))
    live = ql.rows(
        "SELECT last(rate) FROM live_1m WHERE district = 'all' AND building_type = 'all' "
        "AND time > now() - 1h",
        DB,
        epoch="ms",
    )
    if live:  # real time not covered yet: after the newest minute's end (0: within it)
        out.live_behind.append(max(0.0, now - (live[0]["time"] + 60_000) / 1000))
    cursor = ql.rows(
        f"SELECT last(until_ms) FROM {rollup_from(ROLLUP_WATERMARK)} "
        "WHERE job = 'arrivals' AND time > now() - 1h",
        DB,
    )
    if cursor and cursor[0].get("last"):
        out.cursor_behind.append(now - float(cursor[0]["last"]) / 1000)


def verdict(out: Samples) -> str:
    if out.collector_lag_p99 and out.collector_lag_p99[-1] > LAG_LIMIT_S:
        return f"collector lag p99 {out.collector_lag_p99[-1]:.0f} s > {LAG_LIMIT_S:.0f} s"
    if out.live_behind and out.live_behind[-1] > LIVE_LIMIT_S:
        return f"live_1m {out.live_behind[-1]:.0f} s behind > {LIVE_LIMIT_S:.0f} s"
    return ""


def main(
    meters: Annotated[int, typer.Option(help="meters in the city")] = 20_000,
    meters_per_agent: Annotated[int, typer.Option(help="meters per site/agent")] = 4,
    read_s: Annotated[float, typer.Option(help="seconds between an agent's batches")] = 900.0,
    collectors: Annotated[int, typer.Option(help="collector processes")] = 2,
    minutes: Annotated[float, typer.Option(help="how long the fleet runs")] = 5.0,
    rollup_interval: Annotated[float, typer.Option(help="seconds between passes")] = 60.0,
    sample_s: Annotated[float, typer.Option(help="seconds between samples")] = 10.0,
) -> None:
    """Run the city through every stage on this box (see the module docstring)."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        out = run(
            work, meters, meters_per_agent, read_s, collectors, minutes, rollup_interval, sample_s
        )
    report(out, meters, read_s, collectors)


def run(
    work: Path,
    meters: int,
    per_agent: int,
    read_s: float,
    n_collectors: int,
    minutes: float,
    rollup_interval: float,
    sample_s: float,
) -> Samples:
    sites = work / "sites.yaml"
    write_sites_file(sites, plan_fleet(max(1, meters // per_agent), per_agent, 0), "bench_city")
    (work / "influx").mkdir()
    broker, influx = MosquittoServer(work / "mosquitto"), InfluxServer(work / "influx")
    broker.start()
    influx.start()
    procs: dict[str, subprocess.Popen] = {}
    out = Samples()
    try:
        influx.create_database(DB)
        influx.create_database(PUBLIC)
        common = ["--config", str(sites), "--influx-url", influx.url, "--influx-bucket", DB]
        health = [free_port() for _ in range(n_collectors)]
        for i in range(n_collectors):
            procs[f"collector-{i}"] = python(
                "collector",
                "run",
                *common,
                "--mqtt-url",
                broker.url,
                "--instance",
                f"city-{i}",
                "--health-port",
                str(health[i]),
                "--metrics-port",
                str(free_port()),
                log=work / f"collector-{i}.log",
            )
        procs["rollup"] = python(
            "collector",
            "rollup",
            *common,
            "--influx-public-bucket",
            PUBLIC,
            "--interval",
            str(rollup_interval),
            log=work / "rollup.log",
        )
        # The fleet's many client sockets take ephemeral ports: start it only once
        # the collectors hold theirs.
        wait_ready(health, procs)
        procs["fleet"] = python(
            "simulators",
            "fleet",
            "--agents",
            str(max(1, meters // per_agent)),
            "--meters-per-agent",
            str(per_agent),
            "--interval",
            str(read_s),
            "--duration",
            str(minutes * 60),
            "--mqtt-url",
            broker.url,
            log=work / "fleet.log",
        )
        watch(InfluxQL(influx.url, timeout_s=60), procs, influx, minutes, sample_s, out)
        out.disk_mb = disk_mb(work / "influx")
        for log_file in work.glob("*.log"):
            out.tails[log_file.stem] = "\n".join(
                log_file.read_text(errors="replace").splitlines()[-4:]
            )
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        influx.stop()
        broker.stop()
    return out


def watch(
    ql: InfluxQL,
    procs: dict[str, subprocess.Popen],
    influx: InfluxServer,
    minutes: float,
    sample_s: float,
    out: Samples,
) -> None:
    deadline = time.monotonic() + minutes * 60 + 2 * sample_s
    while time.monotonic() < deadline and not out.stopped:
        time.sleep(sample_s)
        sample(ql, time.time(), out)
        out.stopped = verdict(out)
        for name, proc in procs.items():
            out.rss_mb[name] = max(out.rss_mb.get(name, 0.0), rss_mb(proc.pid))
        out.rss_mb["influxd"] = max(out.rss_mb.get("influxd", 0.0), rss_mb(influx.pid))
    rows = ql.rows("SHOW SERIES CARDINALITY", DB)  # 1.x: one row, an estimate
    out.series = int(sum(v for r in rows for v in r.values() if isinstance(v, int | float)))


def report(out: Samples, meters: int, read_s: float, collectors: int) -> None:
    needed = meters / read_s
    stored = out.written[-1][1] if out.written else 0.0
    span = out.written[-1][0] - out.written[0][0] if len(out.written) > 1 else 0.0
    rate = (stored - out.written[0][1]) / span if span else 0.0
    millions = max(stored / 1e6, 1e-9)
    print(f"city: {meters} meters, reads every {read_s:g} s ({needed:.0f} readings/s needed)")
    print(f"collectors: {collectors}; readings stored: {stored:.0f}; sustained {rate:.0f}/s")
    for name, values in (
        ("collector lag p99 (s)", out.collector_lag_p99),
        ("live_1m behind wall clock (s)", out.live_behind),
        ("rollup arrival cursor behind (s)", out.cursor_behind),
    ):
        if values:
            print(f"{name}: p50 {statistics.median(values):.1f}, max {max(values):.1f}")
    print(
        f"series: {out.series}; influx disk {out.disk_mb:.0f} MB ({out.disk_mb / millions:.0f} MB per million readings)"
    )
    for name, mb in sorted(out.rss_mb.items()):
        print(f"RSS {name}: {mb:.0f} MB")
    if not stored:
        out.stopped = out.stopped or "no readings stored"
        for name, tail in sorted(out.tails.items()):
            print(f"--- {name} (last lines)\n{tail}")
    print(f"stopped: {out.stopped}" if out.stopped else "ran to the end without falling behind")


if __name__ == "__main__":
    typer.run(main)
