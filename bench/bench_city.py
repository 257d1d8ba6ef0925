"""The city on one box: fleet → Mosquitto → N collectors → InfluxDB → rollup.

One run, in a temporary directory, everything real and separate processes:
  - the fleet generator's plan (`simulators.fleet`: sites spread over the
    districts by households, one agent per site) written as the sites file;
  - Mosquitto and InfluxDB 1.6 (devstack, TSI index);
  - `--collectors` × `python -m collector run` on one shared subscription;
  - `python -m collector rollup -v` (a pass every --rollup-interval seconds);
  - real time: `python -m simulators fleet` at --read-s between an agent's
    batches (900: 15-minute reads, agents staggered over the interval) for
    --minutes, agents sharing --connections MQTT connections;
  - saturation (--saturate-s > 0): then a fleet of 100-meter agents publishing
    as fast as it can, to measure what the collectors store at most.
Readings cannot run ahead of the wall clock (the collector refuses future
timestamps, live_1m's minutes end at the wall clock), so simulated time is not
accelerated: the offered load is meters ÷ read-s readings/s, as in the city,
and a run shorter than read-s reads only that share of the meters.

Prints sustained readings/s, collector lag p99, how far live_1m is behind the
wall clock, rollup lag per reading (arrival marker → the completed pass that
took it, which writes live_1m and consumption_1h) p50/p99, the rollup's
capacity (readings per second of pass time), the headroom (sustainable ÷
needed: the lower of collector saturation and rollup capacity), series, RSS
per process and per meter, disk per million readings, and why it stopped.
`--ramp` runs growing cities (a fresh stack each) until one fails the limits;
`--sweep 1,2,3` measures collector saturation per collector count;
`--history-hours H` first publishes the last H hours fast (simulated time
ending now: the past may run ahead of the wall clock, the future may not)
and prints InfluxDB's disk per day per million meters; `--compact` then stops
the pipeline, restarts InfluxDB with short cold durations so that it fully
compacts the shards, waits for its files to settle, and prints the disk
before and after (TSM, index and WAL apart; bench/city_disk.py).

    python -m bench.bench_city [--meters 50000] [--minutes 5] [--saturate-s 60]
    python -m bench.bench_city --ramp 100000,250000,500000,1000000,2400000 --minutes 4
    python -m bench.bench_city --sweep 1,2,3 --meters 20000 --saturate-s 75
    python -m bench.bench_city --meters 4000 --history-hours 24 --minutes 0 --compact
    python -m bench.bench_city --meters 1000000 --collectors 1 --warm-up-s 900 --minutes 16

`--warm-up-s` runs the city's first read interval unjudged before the judged
--minutes (bench/README.md). `--restart-s S` then stops the rollup (SIGTERM:
its last pass, its meter states saved), starts it again and watches S seconds
more, not judged: how long the stop and the start took, how far `live_1m` fell
behind, and the restarted rollup's first passes (sites resumed from the saved
states). The rollup keeps its states in the run's directory (ENERGY_STATE_PATH).
"""

from __future__ import annotations

import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from bench.city_disk import Disk, compact, disk_table, measure_disk
from bench.city_figures import (
    Marker,
    passes_from_log,
    phase_seconds,
    rollup_capacity,
    rollup_lags,
    verdict,
    weighted_percentile,
)
from bench.city_procs import disk_mb, python, rss_mb, stop_all, wait_ready
from devstack import InfluxServer, MosquittoServer, free_port
from devstack.supervisor import cpu_seconds as cpu_s
from simulators.fleet.plan import plan_fleet
from simulators.fleet.registry_file import write_sites_file
from telemetry.influxql import InfluxQL

DB, PUBLIC = "energy", "energy_public"
SATURATE_AGENTS, SATURATE_METERS = 100, 100  # within every fleet site's meter margin
COMPACT_TIMEOUT_S = 1200.0
MEMORY_FLOOR_GB = 1.5  # a run stops when the box has less available than this
TAIL_ROLLUP, TAIL_OTHERS = 12, 4  # log lines kept per process for the printout


@dataclass(frozen=True)
class City:
    meters: int
    per_agent: int = 4
    read_s: float = 900.0
    collectors: int = 2
    minutes: float = 5.0
    saturate_s: float = 0.0
    rollup_interval: float = 60.0
    sample_s: float = 10.0
    connections: int = 500
    history_hours: float = 0.0
    compact: bool = False
    warm_up_s: float = 0.0
    restart_s: float = 0.0

    @property
    def agents(self) -> int:
        return max(1, self.meters // self.per_agent)

    @property
    def needed(self) -> float:
        return self.meters / self.read_s


@dataclass
class Samples:
    written: dict[str, list[tuple[float, float]]] = field(default_factory=dict)  # phase → (t, n)
    collector_lag_p99: list[float] = field(default_factory=list)
    live_behind: list[float] = field(default_factory=list)
    series: int = 0
    rss_mb: dict[str, float] = field(default_factory=dict)
    disk_mb: tuple[float, float] = (0.0, 0.0)  # when the fleet started, at the end
    tsm_mb: tuple[float, float] = (0.0, 0.0)  # the same, data files only (not the WAL)
    history: tuple[float, float, float] = (0.0, 0.0, 0.0)  # readings, data MB, WAL MB
    disks: dict[str, Disk] = field(default_factory=dict)  # --compact: before history, …
    compacted: bool = False  # --compact: the files settled in time
    setup_s: dict[str, float] = field(default_factory=dict)
    lags: list[tuple[float, int]] = field(default_factory=list)
    waiting: int = 0  # readings no completed pass took by the end
    capacity: float = 0.0
    realtime_until_ms: int = 0  # lags count the real-time phase's readings only
    judged_from_ms: int = 0  # … from the warm-up's end (--warm-up-s)
    warm_behind: list[float] = field(default_factory=list)  # live_1m behind, warm-up
    restart_behind: list[float] = field(default_factory=list)  # … after --restart-s's restart
    restart: dict[str, float] = field(default_factory=dict)  # seconds: stop, start; from_ms
    restart_log: list[str] = field(default_factory=list)  # the rollup's lines on its states
    restart_phases: tuple[dict[str, float], int, int] = ({}, 0, 0)  # passes after the restart
    cpu_s: dict[str, float] = field(default_factory=dict)  # CPU seconds per process, last seen
    per_instance: dict[str, float] = field(default_factory=dict)  # readings stored per collector
    stopped: str = ""
    tails: dict[str, str] = field(default_factory=dict)  # last log lines per process
    phases: tuple[dict[str, float], int, int] = ({}, 0, 0)  # rollup: seconds, touched, resumed

    def rate(self, phase: str) -> float:
        points = self.written.get(phase, [])
        if len(points) < 2 or points[-1][0] <= points[0][0]:
            return 0.0
        return (points[-1][1] - points[0][1]) / (points[-1][0] - points[0][0])

    def stored(self) -> float:
        return max((pts[-1][1] for pts in self.written.values() if pts), default=0.0)


def main(
    meters: Annotated[int, typer.Option(help="meters in the city")] = 50_000,
    meters_per_agent: Annotated[int, typer.Option(help="meters per site/agent")] = 4,
    read_s: Annotated[float, typer.Option(help="seconds between an agent's batches")] = 900.0,
    collectors: Annotated[int, typer.Option(help="collector processes")] = 2,
    minutes: Annotated[float, typer.Option(help="real-time phase (per ramp step)")] = 5.0,
    saturate_s: Annotated[float, typer.Option(help="saturation phase after it")] = 0.0,
    rollup_interval: Annotated[float, typer.Option(help="seconds between passes")] = 60.0,
    sample_s: Annotated[float, typer.Option(help="seconds between samples")] = 10.0,
    connections: Annotated[int, typer.Option(help="MQTT connections the agents share")] = 500,
    ramp: Annotated[str, typer.Option(help="meter counts, e.g. 100000,250000,…")] = "",
    sweep: Annotated[str, typer.Option(help="collector counts for saturation, e.g. 1,2,3")] = "",
    history_hours: Annotated[
        float, typer.Option(help="first publish this many past hours, fast (disk per day)")
    ] = 0.0,
    compact: Annotated[
        bool, typer.Option(help="after the history, let InfluxDB compact and measure again")
    ] = False,
    warm_up_s: Annotated[
        float, typer.Option(help="real time before the judged --minutes (not judged)")
    ] = 0.0,
    restart_s: Annotated[
        float, typer.Option(help="after the judged minutes, restart the rollup and watch")
    ] = 0.0,
) -> None:
    """Run the city through every stage on this box (see the module docstring)."""
    # SIGTERM unwinds like Ctrl-C, so that the stack's daemons are stopped
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if compact and (history_hours <= 0 or minutes > 0 or saturate_s > 0 or ramp or sweep):
        # it stops the pipeline: nothing may follow it
        raise typer.BadParameter("--compact needs --history-hours and --minutes 0, alone")
    base = City(
        meters,
        meters_per_agent,
        read_s,
        collectors,
        minutes,
        saturate_s,
        rollup_interval,
        sample_s,
        connections,
        history_hours,
        compact,
        warm_up_s,
        restart_s,
    )
    if sweep:
        return run_sweep(base, [int(n) for n in sweep.split(",")])
    if not ramp:
        report(base, measure(base))
        return None
    for count in [int(n) for n in ramp.split(",")]:
        city = City(**{**base.__dict__, "meters": count})
        out = measure(city)
        report(city, out)
        if out.stopped:
            print(f"ramp: stopped at {count} meters ({out.stopped})")
            return None
        print(f"ramp: {count} meters fit")
    return None


def run_sweep(base: City, counts: list[int]) -> None:
    """Collector saturation with 1, 2, 3 … collectors (no real-time phase)."""
    rates = {}
    for n in counts:
        out = measure(City(**{**base.__dict__, "collectors": n, "minutes": 0.0}))
        rates[n] = out.rate("saturate")
        rss = sum(mb for name, mb in out.rss_mb.items() if name.startswith("collector"))
        cpu = sum(c for name, c in out.cpu_s.items() if name.startswith("collector"))
        stored = sum(out.per_instance.values()) or 1.0
        shares = "/".join(f"{n / stored:.2f}" for _i, n in sorted(out.per_instance.items()))
        sent = re.search(r"readings_per_s=(\d+)", out.tails.get("fleet-saturate", ""))
        print(
            f"sweep: {n} collector(s): {rates[n]:.0f} readings/s stored at saturation "
            f"(fleet acknowledged {sent.group(1) if sent else '?'}/s), collectors' RSS {rss:.0f} MB"
        )
        print(
            f"sweep: {n} collector(s): shares of readings {shares}; collectors' CPU "
            f"{cpu * 1e6 / stored:.0f} µs per reading stored; box load {os.getloadavg()[0]:.1f}"
        )
    one = rates.get(counts[0]) or 1.0
    print("sweep ratios vs 1st: " + ", ".join(f"{n}: {r / one:.2f}" for n, r in rates.items()))


def measure(city: City) -> Samples:
    with tempfile.TemporaryDirectory() as tmp:
        try:
            return run(Path(tmp), city)
        except RuntimeError as exc:  # the stack did not come up: that is where it stops
            return Samples(stopped=f"setup failed: {exc}")


def run(work: Path, city: City) -> Samples:
    out = Samples(stopped=memory_short(city))
    if out.stopped:
        return out
    began = time.monotonic()
    sites = work / "sites.yaml"
    write_sites_file(sites, plan_fleet(city.agents, city.per_agent, 0), "bench_city")
    out.setup_s["sites file"] = time.monotonic() - began
    (work / "influx").mkdir()
    broker = MosquittoServer(work / "mosquitto", extra_conf=deployed_autosave())
    influx = InfluxServer(work / "influx")
    broker.start()
    influx.start()
    procs: dict[str, subprocess.Popen] = {}
    try:
        influx.create_database(DB)
        influx.create_database(PUBLIC)
        began = time.monotonic()
        start_pipeline(work, city, sites, broker, influx, procs)
        # The fleet's client sockets take ephemeral ports: start it only once the
        # collectors hold theirs. Loading ~600,000 sites takes minutes on 2 cores.
        wait_for_pass(work / "rollup.log", 0, ready_timeout(city))  # its first (full) pass
        out.setup_s["collectors and rollup ready"] = time.monotonic() - began
        ql = InfluxQL(influx.url, timeout_s=120)
        since_ms = int(time.time() * 1000)
        out.disk_mb = (disk_mb(work / "influx"), 0.0)
        out.tsm_mb = (disk_mb(work / "influx" / "data"), 0.0)
        common = ["--mqtt-url", broker.url, "--connections", str(city.connections)]
        if city.history_hours > 0:
            history(ql, work, city, common, procs, out)
            out.disk_mb = (disk_mb(work / "influx"), 0.0)
            out.tsm_mb = (disk_mb(work / "influx" / "data"), 0.0)
        if city.compact:
            stop_all(procs)  # nothing may write while the shards go cold
            out.disks["uncompacted (writers stopped)"] = measure_disk(work / "influx")
            disk, out.compacted = compact(influx, COMPACT_TIMEOUT_S)
            out.disks["compacted"] = disk
        if city.minutes > 0:
            fleet = [f"--agents={city.agents}", f"--meters-per-agent={city.per_agent}"]
            # a restart's phase: the wait for the last pass, the stop and the start too
            restart = city.restart_s + RESTART_WAIT_S if city.restart_s > 0 else 0.0
            duration = city.warm_up_s + city.minutes * 60 + restart
            fleet += [f"--interval={city.read_s}", f"--duration={duration}"]
            procs["fleet"] = python("simulators", "fleet", *fleet, *common, log=work / "fleet.log")
            if city.warm_up_s > 0:  # every agent's first batch: new series, first-sight passes
                watch(ql, procs, influx, "warm-up", city.warm_up_s, city, out, judge=False)
            out.judged_from_ms = int(time.time() * 1000)
            watch(ql, procs, influx, "realtime", city.minutes * 60 + city.sample_s, city, out)
        out.realtime_until_ms = int(time.time() * 1000)
        if city.restart_s > 0 and not out.stopped:
            # the judged readings are taken before the stop: a restart's wait is its own
            wait_for_pass(work / "rollup.log", out.realtime_until_ms, 3 * city.rollup_interval)
            restart_rollup(work, city, sites, influx, procs, out)
            watch(ql, procs, influx, "restart", city.restart_s, city, out, judge=False)
        if city.saturate_s > 0 and not out.stopped:
            # the real-time readings' lags must not include the saturation's load
            wait_for_pass(work / "rollup.log", out.realtime_until_ms, 3 * city.rollup_interval)
            agents = min(SATURATE_AGENTS, city.agents)
            fleet = [f"--agents={agents}", f"--meters-per-agent={SATURATE_METERS}"]
            fleet += ["--interval=0.01", f"--duration={city.saturate_s}"]
            procs["fleet-saturate"] = python(
                "simulators", "fleet", *fleet, *common, log=work / "fleet-saturate.log"
            )
            watch(ql, procs, influx, "saturate", city.saturate_s, city, out, judge=False)
        finish(ql, work, since_ms, out)
    finally:
        stop_all(procs)
        influx.stop()
        broker.stop()
    return out


# Readings/s offered while publishing the past: what the fleet keeps up with on
# the shared 2-core box (offered 5,000/s, a day of 4,000 meters arrived at
# ~3,200/s, and an agent behind its time skips ahead: 65 % of the readings).
HISTORY_RATE = 2_500


def history(
    ql: InfluxQL,
    work: Path,
    city: City,
    common: list[str],
    procs: dict[str, subprocess.Popen],
    out: Samples,
) -> None:
    """The last `history_hours` of every meter, in simulated time ending now (the
    past may run fast, the future may not): what a day of readings and their
    rollups take on disk, with each series holding many values as it will."""
    hours = city.history_hours
    readings = city.meters * hours * 3600 / city.read_s
    speed = hours * 3600 / max(readings / HISTORY_RATE, 10.0)
    start = datetime.fromtimestamp(time.time() - hours * 3600, UTC).isoformat()
    fleet = [f"--agents={city.agents}", f"--meters-per-agent={city.per_agent}"]
    fleet += [f"--interval={city.read_s / speed}", f"--duration={hours * 3600 / speed}"]
    fleet += [f"--start={start}", f"--speed={speed}"]
    before = out.disks["before the history"] = measure_disk(work / "influx")
    procs["fleet-history"] = proc = python(
        "simulators", "fleet", *fleet, *common, log=work / "fleet-history.log"
    )
    proc.wait()
    points: list[tuple[float, float]] = []
    while len(points) < 3 or points[-1][1] > points[-3][1]:  # until the collectors are idle
        time.sleep(city.sample_s)
        sample(ql, time.time(), points, out, judged=False)
    # its first pass takes it all at once: a day of 4,000 meters (250,000 readings
    # stored) took 9 minutes of pass on the shared box
    timeout = max(5 * city.rollup_interval, readings / 250)
    if not wait_for_pass(work / "rollup.log", int(time.time() * 1000), timeout):
        print(f"history: no rollup pass took it all within {timeout:.0f} s")
    after = out.disks["after the rollup pass"] = measure_disk(work / "influx")
    out.history = (points[-1][1], after.data - before.data, after.wal - before.wal)


def deployed_autosave() -> str:
    """The deployed broker's autosave interval. The devstack's (2 s, for tests that kill
    the broker) made Mosquitto rewrite the 600,000 agents' retained statuses (~1.4 GB)
    every 2 s: the broker stalled writing them and the collectors starved."""
    conf = Path(__file__).resolve().parents[1] / "deploy" / "mosquitto" / "mosquitto.conf"
    found = re.search(r"^autosave_interval\s+(\d+)", conf.read_text(), re.MULTILINE)
    return f"autosave_interval {found.group(1)}\n" if found else ""


def ready_timeout(city: City) -> float:
    """Loading ~600,000 sites takes minutes on 2 cores."""
    return 180 + city.agents / 1000


def memory_short(city: City) -> str:
    """Why this box cannot hold the city ('' when it can), before starting it: one
    registry load's peak plus what each collector and the rollup keep per site
    (measured: ~15 and ~4 KB), InfluxDB and the fleet (~2 GB at most)."""
    need_gb = city.agents * (15 + 4 * (city.collectors + 1)) / 2**20 + 2
    have_gb = available_gb()
    if need_gb > have_gb:
        return f"not enough memory: ~{need_gb:.0f} GB needed, {have_gb:.0f} GB available"
    return ""


def available_gb() -> float:
    """The box's memory available to new work (the kernel's estimate), GB."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 2**20
    return float("inf")


def wait_for_pass(log: Path, until_ms: int, timeout: float) -> bool:
    """Until a rollup pass that took every marker stored before `until_ms` completed
    (False: none within `timeout`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.now_ms > until_ms for p in passes_from_log(log.read_text(errors="replace"))):
            return True
        time.sleep(2)
    return False


def start_pipeline(
    work: Path,
    city: City,
    sites: Path,
    broker: MosquittoServer,
    influx: InfluxServer,
    procs: dict[str, subprocess.Popen],
) -> None:
    """The collectors, one after another, then the rollup."""
    common = store_flags(sites, influx)
    health = [free_port() for _ in range(city.collectors)]
    for i, port in enumerate(health):
        if i:  # one registry load at a time: its peak is ~4× what stays (lean.py)
            wait_ready(health[:i], procs, ready_timeout(city))
        procs[f"collector-{i}"] = python(
            "collector",
            "run",
            *common,
            *("--mqtt-url", broker.url, "--instance", f"city-{i}"),
            *("--health-port", str(port), "--metrics-port", str(free_port())),
            log=work / f"collector-{i}.log",
        )
    wait_ready(health, procs, ready_timeout(city))
    procs["rollup"] = start_rollup(work, city, common)


def store_flags(sites: Path, influx: InfluxServer) -> list[str]:
    """The sites file and the raw store, as the collectors and the rollup take them."""
    return ["--config", str(sites), "--influx-url", influx.url, "--influx-bucket", DB]


def start_rollup(work: Path, city: City, common: list[str]) -> subprocess.Popen:
    return python(
        "collector",
        "rollup",
        *common,
        *("--influx-public-bucket", PUBLIC, "--interval", str(city.rollup_interval), "-v"),
        log=work / "rollup.log",
        env={"ENERGY_STATE_PATH": str(work / "rollup-states.pickle")},
    )


RESTART_WAIT_S = 900.0  # the fleet runs on while the rollup stops and starts (1M: ~8 min)


def restart_rollup(
    work: Path,
    city: City,
    sites: Path,
    influx: InfluxServer,
    procs: dict[str, subprocess.Popen],
    out: Samples,
) -> None:
    """Stop the rollup as a deployment does (SIGTERM: its pass ends, its states are
    saved) and start it again; how long each took (the start: until its first pass)."""
    began = time.monotonic()
    out.restart["from_ms"] = time.time() * 1000
    procs["rollup"].send_signal(signal.SIGTERM)
    procs["rollup"].wait(600)
    out.restart["stop"] = time.monotonic() - began
    began = time.monotonic()
    procs["rollup"] = start_rollup(work, city, store_flags(sites, influx))
    wait_for_pass(work / "rollup.log", int(out.restart["from_ms"]), 600)
    out.restart["start"] = time.monotonic() - began


def watch(
    ql: InfluxQL,
    procs: dict[str, subprocess.Popen],
    influx: InfluxServer,
    phase: str,
    seconds: float,
    city: City,
    out: Samples,
    judge: bool = True,
) -> None:
    deadline = time.monotonic() + seconds
    points = out.written.setdefault(phase, [])
    while time.monotonic() < deadline and not out.stopped:
        time.sleep(city.sample_s)
        sample(ql, time.time(), points, out, judge)
        shown = {"warm-up": out.warm_behind, "restart": out.restart_behind}.get(phase)
        if shown is not None:  # not judged, but shown
            shown.extend(_live_behind(ql, time.time()))
        for name, proc in procs.items():
            out.rss_mb[name] = max(out.rss_mb.get(name, 0.0), rss_mb(proc.pid))
            out.cpu_s[name] = max(out.cpu_s.get(name, 0.0), cpu_s(proc.pid))
        out.rss_mb["influxd"] = max(out.rss_mb.get("influxd", 0.0), rss_mb(influx.pid))
        dead = [n for n, p in procs.items() if p.poll() not in (None, 0)]
        left = available_gb()
        if dead:
            out.stopped = f"exited with an error: {', '.join(dead)}"
        elif left < MEMORY_FLOOR_GB:  # stopped before the kernel's OOM killer picks one
            rss = ", ".join(f"{n} {mb / 1024:.1f}" for n, mb in sorted(out.rss_mb.items()))
            out.stopped = f"memory: {left:.1f} GB left on the box (RSS GB: {rss})"
        elif judge:
            lag = out.collector_lag_p99[-1] if out.collector_lag_p99 else None
            live = out.live_behind[-1] if out.live_behind else None
            out.stopped = verdict(lag, live, float("nan"))


def sample(
    ql: InfluxQL, now: float, points: list[tuple[float, float]], out: Samples, judged: bool = True
) -> None:
    """Readings stored; lags only when `judged` (the real-time phase, not saturation)."""
    stats = ql.rows(
        "SELECT last(written), last(lag_p99_s) FROM collector_stats "
        "WHERE time > now() - 1m GROUP BY instance",
        DB,
    )
    points.append((now, float(sum(r.get("last") or 0 for r in stats))))
    out.per_instance = {str(r.get("instance")): float(r.get("last") or 0) for r in stats}
    lags = [float(r.get("last_1") or 0) for r in stats]
    if not judged:
        return
    if lags:
        out.collector_lag_p99.append(max(lags))
    out.live_behind.extend(_live_behind(ql, now))


def _live_behind(ql: InfluxQL, now: float) -> list[float]:
    """How far live_1m's city figure is behind the wall clock: after the newest minute's
    end (0: within it); none before its first minute."""
    live = ql.rows(
        "SELECT last(rate) FROM live_1m WHERE district = 'all' AND building_type = 'all' "
        "AND time > now() - 1h",
        DB,
        epoch="ms",
    )
    return [max(0.0, now - (live[0]["time"] + 60_000) / 1000)] if live else []


def finish(ql: InfluxQL, work: Path, since_ms: int, out: Samples) -> None:
    """Series, disk, rollup lag per reading and capacity, last log lines."""
    time.sleep(1)
    rows = ql.rows("SHOW SERIES CARDINALITY", DB)  # 1.x: one row, an estimate
    out.series = int(sum(v for r in rows for v in r.values() if isinstance(v, int | float)))
    out.disk_mb = (out.disk_mb[0], disk_mb(work / "influx"))
    out.tsm_mb = (out.tsm_mb[0], disk_mb(work / "influx" / "data"))
    markers = arrival_markers(ql, since_ms, int(time.time() * 1000))
    text = (work / "rollup.log").read_text(errors="replace")
    passes = passes_from_log(text)
    out.phases = phase_seconds(text, out.judged_from_ms)
    if out.restart:
        out.restart_log = [_message(line) for line in text.splitlines() if "meter states" in line]
        out.restart_phases = phase_seconds(text, int(out.restart["from_ms"]))
    judged = [m for m in markers if m.at_ms >= out.judged_from_ms]
    realtime = [m for m in judged if m.at_ms < out.realtime_until_ms]
    out.lags, out.waiting = rollup_lags(realtime, passes)
    # after a warm-up: the passes of the judged phase only (the first of them may also
    # have taken warm-up readings: counted in its time, not its readings)
    later = [p for p in passes if p.now_ms >= out.judged_from_ms]
    out.capacity = rollup_capacity(judged, later)
    for log_file in work.glob("*.log"):
        keep = TAIL_ROLLUP if log_file.stem == "rollup" else TAIL_OTHERS
        out.tails[log_file.stem] = "\n".join(
            log_file.read_text(errors="replace").splitlines()[-keep:]
        )


def arrival_markers(ql: InfluxQL, start_ms: int, end_ms: int) -> list[Marker]:
    out = []
    for t in range(start_ms, end_ms, 300_000):  # five minutes a query: bounded answers
        q = f"SELECT readings FROM arrivals WHERE time >= {t}ms AND time < {min(t + 300_000, end_ms)}ms"
        out.extend(Marker(int(r["time"]), int(r["readings"] or 0)) for r in ql.rows(q, DB, "ms"))
    return out


def _message(line: str) -> str:
    """A JSON log line's message, its file paths left out (the run's temporary directory)."""
    try:
        msg = str(json.loads(line).get("msg", line))
    except ValueError:
        msg = line
    return re.sub(r" (to|from) /\S+", "", msg)


def report_restart(city: City, out: Samples) -> None:
    """--restart-s: the stop, the start, and the restarted rollup's passes (not judged)."""
    behind = max(out.restart_behind, default=float("nan"))
    print(
        f"restart after the judged minutes: rollup stopped in {out.restart['stop']:.0f} s "
        f"(its last pass, states saved), started in {out.restart['start']:.0f} s (registry, "
        f"states read, first pass); live_1m behind max {behind:.1f} s in the "
        f"{city.restart_s:.0f} s after it (not judged)"
    )
    for line in out.restart_log:
        print(f"  rollup: {line}")
    spent, touched, resumed = out.restart_phases
    phases = ", ".join(f"{k} {v:.0f} s" for k, v in spent.items())
    print(f"  passes after it: {phases}; sites resumed {resumed} of {touched} touched")


def report(city: City, out: Samples) -> None:
    rate, saturated = out.rate("realtime"), out.rate("saturate")
    stored = out.stored()
    millions = max(stored / 1e6, 1e-9)
    p50, p99 = (weighted_percentile(out.lags, q) for q in (0.5, 0.99))
    out.stopped = out.stopped or verdict(None, None, p99)
    print(
        f"city: {city.meters} meters ({city.agents} sites), reads every {city.read_s:g} s: "
        f"{city.needed:.0f} readings/s needed; {city.collectors} collector(s)"
    )
    print("setup: " + ", ".join(f"{k} {v:.0f} s" for k, v in out.setup_s.items()))
    print(f"readings stored: {stored:.0f}; sustained {rate:.0f}/s (real time)")
    if city.warm_up_s > 0:
        behind = max(out.warm_behind, default=float("nan"))
        print(
            f"warm-up: {city.warm_up_s:.0f} s not judged (every agent's first batch); "
            f"live_1m behind max {behind:.1f} s; figures below from its end"
        )
    if out.restart:
        report_restart(city, out)
    for name, values in (
        ("collector lag p99 (s)", out.collector_lag_p99),
        ("live_1m behind wall clock (s)", out.live_behind),
    ):
        if values:  # its own name: `p99` above is the rollup lag's, printed below
            sampled_p99 = weighted_percentile([(v, 1) for v in values], 0.99)
            print(
                f"{name}: p50 {statistics.median(values):.1f}, p99 {sampled_p99:.1f}, "
                f"max {max(values):.1f} ({len(values)} samples)"
            )
    print(
        f"rollup lag per reading, arrival → in live_1m and consumption_1h: p50 {p50:.1f} s, "
        f"p99 {p99:.1f} s ({out.waiting} readings not taken by a completed pass at the end)"
    )
    print_headroom(city, out, saturated)
    grown = out.disk_mb[1] - out.disk_mb[0]
    print(
        f"series: {out.series} (estimate); influx disk {out.disk_mb[1]:.0f} MB, "
        f"grown {grown:.0f} MB during the run ({grown / millions:.0f} MB per million readings)"
    )
    if out.history[0]:
        n, data, wal = out.history
        per_day = (data + wal) * 24 / city.history_hours / city.meters * 1e6
        print(
            f"history: {city.history_hours:g} h of {city.meters} meters, {n:.0f} readings "
            f"({n / (city.meters * city.history_hours * 3600 / city.read_s):.0%} of a reading "
            "per meter every --read-s) "
            f"with their rollups: data files {data:.0f} MB, WAL {wal:.0f} MB; "
            f"{per_day:.0f} MB per day per million meters at this read interval"
        )
    if out.disks.get("compacted"):
        print_compaction(city, out)
    tsm = out.tsm_mb[1] - out.tsm_mb[0]
    print(
        f"of which TSM data files (the WAL not yet compacted into them): {tsm:.0f} MB "
        f"({tsm / millions:.0f} MB per million readings)"
    )
    for name, mb in sorted(out.rss_mb.items()):
        per_meter = mb * 1024 / city.meters
        print(f"RSS {name}: {mb:.0f} MB ({per_meter:.2f} KB per meter, base included)")
    total = sum(out.rss_mb.values())
    print(f"RSS all: {total:.0f} MB ({total / millions:.0f} MB per million readings stored)")
    if not stored or out.stopped.startswith(("exited", "setup")):
        for name, tail in sorted(out.tails.items()):
            print(f"--- {name} (last lines)\n{tail}")
    elif out.stopped:  # the rollup's last passes say where a stopped run's time went
        print(f"--- rollup (last lines)\n{out.tails.get('rollup', '')}")
    print(f"stopped: {out.stopped}" if out.stopped else "ran to the end within the limits")


def print_compaction(city: City, out: Samples) -> None:
    """The history's disk before and after InfluxDB compacted it, per day per million meters."""
    before = out.disks["before the history"]
    rows = {name: d - before for name, d in out.disks.items() if d is not before}
    scale = 24 / city.history_hours / city.meters * 1e6
    print("\n".join(disk_table(rows, lambda mb: mb * scale)))
    if not out.compacted:
        print(f"compaction: files not settled within {COMPACT_TIMEOUT_S:.0f} s (last state above)")


def print_headroom(city: City, out: Samples, saturated: float) -> None:
    """Sustainable ÷ needed: the lower of what the collectors store at most and what
    the rollup takes per second of pass time."""
    print(f"rollup capacity: {out.capacity:.0f} readings per second of pass time (all phases)")
    if out.phases[0]:
        spent = ", ".join(f"{k} {v:.0f} s" for k, v in out.phases[0].items())
        print(
            f"rollup regular passes: {spent}; sites resumed from their state "
            f"{out.phases[2]} of {out.phases[1]} touched"
        )
    if saturated:
        print(f"collectors at saturation: {saturated:.0f} readings/s stored")
    limits = [r for r in (saturated, out.capacity) if r > 0]
    if limits:
        sustainable = min(limits)
        print(
            f"headroom: {sustainable:.0f} / {city.needed:.0f} = {sustainable / city.needed:.1f}"
            + ("" if saturated else " (rollup only: collectors not saturated, --saturate-s)")
        )


if __name__ == "__main__":
    typer.run(main)
