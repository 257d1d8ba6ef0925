"""Rollup workers sharing a city: CPU per pass in total and per worker, and the merge's.

One InfluxDB (devstack, temporary directory) and one synthetic city of --sites sites
(synthetic_city.py: three meters each over the 96 dongs). For each worker count of
--workers, a database of its own gets the same hour of history; the city's districts
are split into that many partitions (the default split, balanced by sites); each worker is a process of its own (forked) holding one
partition's engine, all passing at once, then the merge. After the first (full) pass,
--passes steady passes a minute apart, each with that minute's new readings. Baseline:
one rollup process (no partitions) on the same city in the same run.

Printed per configuration: each worker's CPU seconds per pass (median), their total,
the largest share, the merge's CPU, and the wall-clock time of the workers' step (all
workers in parallel, on this box's cores, with InfluxDB on the same cores).

    python -m bench.bench_rollup_workers [--sites 20000] [--workers 1,2,4] [--passes 3]
"""

from __future__ import annotations

import multiprocessing as mp
import statistics
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Annotated

import typer

from bench.synthetic_city import HOUR, MINUTE, City, sites_yaml, store
from collector.rollup.cli import build_engine, build_merge, rollup_partitions
from collector.rollup.heap import Heap
from collector.rollup.partition import Partition
from collector.rollup.settings import RollupSettings
from devstack import InfluxServer
from telemetry.registry import Registry, load_registry

Times = tuple[float, float]  # (CPU s, wall s)


def _serve(settings: RollupSettings, registry: Registry, part: Partition, pipe: Connection) -> None:
    """A worker process: one engine, a pass at each clock it is sent."""
    engine = build_engine(settings, registry, Heap(), part)
    while (clock := pipe.recv()) is not None:
        engine.clock = lambda c=clock: c
        cpu, wall = time.process_time(), time.perf_counter()
        engine.run_pass()
        pipe.send((time.process_time() - cpu, time.perf_counter() - wall))
    engine.sink.close()


class Run:
    """One configuration: a database with the city's history, its workers and merge."""

    def __init__(self, influx: InfluxServer, sites: Path, registry: Registry, label: str) -> None:
        self.influx, self.registry = influx, registry
        raw, public = f"raw_{label}", f"pub_{label}"
        influx.create_database(raw)
        influx.create_database(public)
        self.settings = RollupSettings(
            config=sites, influx_url=influx.url, influx_bucket=raw, influx_public_bucket=public
        )
        self.raw = raw

    def store(self, batch: tuple[list[str], list[str]]) -> None:
        store(self.influx.url, self.raw, *batch)


def one_process(run: Run, batches: list[tuple[list[str], list[str]]], t0: int) -> list[Times]:
    engine = build_engine(run.settings, run.registry, Heap())
    out = []
    for i, batch in enumerate(batches):
        run.store(batch)
        engine.clock = lambda m=i: (t0 + m * MINUTE + 2_000) / 1000
        cpu, wall = time.process_time(), time.perf_counter()
        engine.run_pass()
        out.append((time.process_time() - cpu, time.perf_counter() - wall))
    engine.sink.close()
    return out[1:]  # the first is the full pass


def workers(
    run: Run, parts: list[Partition], batches: list[tuple[list[str], list[str]]], t0: int
) -> tuple[list[list[Times]], list[Times], list[float]]:
    """Per worker its passes' times; the merge's; the workers' step's wall clock."""
    ctx = mp.get_context("fork")
    pipes, procs = [], []
    for part in parts:
        mine, theirs = ctx.Pipe()
        proc = ctx.Process(target=_serve, args=(run.settings, run.registry, part, theirs))
        proc.start()
        pipes.append(mine)
        procs.append(proc)
    merge = build_merge(run.settings, run.registry)
    per: list[list[Times]] = [[] for _ in pipes]
    merged: list[Times] = []
    steps: list[float] = []
    try:
        for i, batch in enumerate(batches):
            run.store(batch)
            clock = (t0 + i * MINUTE + 2_000) / 1000
            wall = time.perf_counter()
            for pipe in pipes:
                pipe.send(clock)
            for j, pipe in enumerate(pipes):
                per[j].append(pipe.recv())
            steps.append(time.perf_counter() - wall)
            merge.clock = lambda c=clock: c + 1
            cpu, wall = time.process_time(), time.perf_counter()
            report = merge.run_pass()
            assert not report.waiting, report
            merged.append((time.process_time() - cpu, time.perf_counter() - wall))
    finally:
        for pipe in pipes:
            pipe.send(None)
        for proc in procs:
            proc.join(timeout=60)
    merge.writer.sink.close()
    return [p[1:] for p in per], merged[1:], steps[1:]


def main(
    sites: Annotated[int, typer.Option(help="sites (3 meters each)")] = 20_000,
    read_s: Annotated[float, typer.Option(help="seconds between a meter's readings")] = 900.0,
    passes: Annotated[int, typer.Option(help="steady passes per configuration")] = 3,
    workers_: Annotated[str, typer.Option("--workers", help="worker counts")] = "1,2,4",
) -> None:
    """CPU of rollup work per pass with 1, 2, 4 workers against one process."""
    counts = [int(w) for w in workers_.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "influx").mkdir()
        influx = InfluxServer(Path(tmp) / "influx")
        influx.start()
        try:
            _measure(influx, Path(tmp), sites, read_s, passes, counts)
        finally:
            influx.stop()


def _measure(
    influx: InfluxServer, tmp: Path, n_sites: int, read_s: float, passes: int, counts: list[int]
) -> None:
    sites = tmp / "sites.yaml"
    sites.write_text(sites_yaml(n_sites), encoding="utf-8")
    registry = load_registry(sites)
    city = City(registry, int(read_s * 1000))
    now = int(time.time() * 1000)
    t0 = now - now % HOUR - 3 * HOUR + 30 * MINUTE
    history = city.batch(t0 - HOUR, t0)
    batches = [history] + [
        city.batch(t0 + (m - 1) * MINUTE, t0 + m * MINUTE) for m in range(1, passes + 1)
    ]
    new = statistics.median(len(b[0]) for b in batches[1:])
    print(f"{n_sites} sites ({3 * n_sites} meters), ~{new:.0f} new readings a pass")
    base = Run(influx, sites, registry, "one")
    one = one_process(base, batches, t0)
    cpu_one = statistics.median(c for c, _w in one)
    print(
        f"one process: CPU {cpu_one:.2f} s a pass, wall {statistics.median(w for _c, w in one):.2f} s"
    )
    print(f"{'workers':>7} {'partitions (districts)':<44} {'CPU per worker':<24} "
          f"{'total':>6} {'vs one':>6} {'largest':>7} {'merge':>6} {'wall':>6}")  # fmt: skip
    for n in counts:
        run = Run(influx, sites, registry, f"w{n}")
        run.settings = run.settings.model_copy(update={"rollup_workers": n})
        parts = rollup_partitions(run.settings, registry)  # the default split
        per, merged, steps = workers(run, parts, batches, t0)
        cpus = [statistics.median(c for c, _w in p) for p in per]
        total = sum(cpus)
        shown = " ".join(p.name for p in parts)
        print(
            f"{n:>7} {shown:<44} {' / '.join(f'{c:.2f}' for c in cpus):<24} {total:>6.2f} "
            f"{total / cpu_one:>6.2f} {max(cpus) / total:>7.0%} "
            f"{statistics.median(c for c, _w in merged):>6.2f} {statistics.median(steps):>6.2f}"
        )


if __name__ == "__main__":
    typer.run(main)
