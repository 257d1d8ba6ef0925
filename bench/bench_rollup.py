"""Rollup pass cost per new reading at 1x and 10x meters.

One run, one InfluxDB (devstack, in a temporary directory); for each scale:
  - the synthetic city (synthetic_city.py: electricity, water, solar per site over
    Gwangju's 96 dongs) with `meters * scale` meters;
  - two hours of history, one reading per meter every --read-s seconds
    (staggered over the interval), with the arrival markers a collector
    writes (each reading arriving a second after it was read), then the
    first pass of a fresh rollup (full: no arrival cursor yet);
  - --passes regular passes a minute apart (the engine's clock set to each
    minute): before each, the minute's new readings and their markers; the
    pass recomputes what arrived.
Prints per scale the full pass (raw points/s over the history) and the
regular passes (new readings, seconds, ms per new reading, points/s), then
the ratio of ms per new reading 10x/1x (goal <= 1.2).

    python -m bench.bench_rollup [--meters 200] [--read-s 60] [--passes 3]
"""

from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import typer

from bench.synthetic_city import HOUR, MINUTE, RATES, City, rollup_engine, sites_yaml, store
from devstack import InfluxServer
from telemetry.registry import load_registry

HISTORY_MS = 2 * HOUR


@dataclass
class Scale:
    meters: int
    history_points: int = 0
    full_s: float = 0.0
    passes: list[tuple[int, float]] = field(default_factory=list)  # (new readings, seconds)

    def ms_per_reading(self) -> float:
        return statistics.median(1000 * s / n for n, s in self.passes)

    def points_per_s(self) -> float:
        return sum(n for n, _ in self.passes) / sum(s for _, s in self.passes)


def run_scale(
    influx: InfluxServer, workdir: Path, meters: int, read_s: float, passes: int
) -> Scale:
    sites = workdir / f"sites-{meters}.yaml"
    sites.write_text(sites_yaml(meters // len(RATES)), encoding="utf-8")
    registry = load_registry(sites)
    raw, public = f"raw_{meters}", f"pub_{meters}"
    influx.create_database(raw)
    influx.create_database(public)
    city = City(registry, int(read_s * 1000))
    now = int(time.time() * 1000)
    t0 = now - now % HOUR - 3 * HOUR + 30 * MINUTE  # mid-hour, well in the past
    out = Scale(meters)
    lines, markers = city.batch(t0 - HISTORY_MS, t0)
    store(influx.url, raw, lines, markers)
    out.history_points = len(lines)
    engine = rollup_engine(sites, registry, influx.url, raw, public)
    engine.clock = lambda: t0 / 1000
    t = time.perf_counter()
    engine.run_pass()
    out.full_s = time.perf_counter() - t
    for i in range(1, passes + 1):
        lines, markers = city.batch(t0 + (i - 1) * MINUTE, t0 + i * MINUTE)
        store(influx.url, raw, lines, markers)
        engine.clock = lambda i=i: (t0 + i * MINUTE + 2_000) / 1000
        t = time.perf_counter()
        report = engine.run_pass()
        out.passes.append((len(lines), time.perf_counter() - t))
        assert not report.full, "a regular pass recomputed everything"
    return out


def main(
    meters: Annotated[int, typer.Option(help="meters at 1x (10x is ten times this)")] = 200,
    read_s: Annotated[float, typer.Option(help="seconds between a meter's readings")] = 60.0,
    passes: Annotated[int, typer.Option(help="regular passes timed per scale")] = 3,
) -> None:
    """Rollup pass cost per new reading at 1x and 10x meters (see the module docstring)."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "influx").mkdir()
        influx = InfluxServer(Path(tmp) / "influx")
        influx.start()
        try:
            results = [run_scale(influx, Path(tmp), meters * s, read_s, passes) for s in (1, 10)]
        finally:
            influx.stop()
    report(results, read_s)


def report(results: list[Scale], read_s: float) -> None:
    print(f"reads every {read_s:g} s; history 2 h; regular passes a minute apart")
    print(
        f"{'scale':>5} {'meters':>7} {'history':>8} {'full s':>7} {'full pts/s':>10} "
        f"{'new/pass':>9} {'pass s':>7} {'ms/new':>7} {'new pts/s':>10}"
    )
    for scale, r in zip(("1x", "10x"), results, strict=True):
        new = statistics.median(n for n, _ in r.passes)
        secs = statistics.median(s for _, s in r.passes)
        print(
            f"{scale:>5} {r.meters:>7} {r.history_points:>8} {r.full_s:>7.1f} "
            f"{r.history_points / r.full_s:>10.0f} {new:>9.0f} {secs:>7.2f} "
            f"{r.ms_per_reading():>7.3f} {r.points_per_s():>10.0f}"
        )
    one, ten = results
    ratio = ten.ms_per_reading() / one.ms_per_reading()
    print(f"regular pass cost per new reading 10x/1x = {ratio:.2f} (goal <= 1.2)")


if __name__ == "__main__":
    typer.run(main)
