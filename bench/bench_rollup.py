"""Rollup pass cost per new reading at 1x and 10x meters.

One run, one InfluxDB (devstack, in a temporary directory); for each scale:
  - the synthetic city of bench_api (electricity, water, solar per site over
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
from influxdb_client import InfluxDBClient, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS

from bench.bench_api import RATES, sites_yaml, write
from collector.arrivals import Span, marker
from collector.rollup.cli import build_engine
from collector.rollup.engine import Engine
from collector.rollup.settings import RollupSettings
from devstack import InfluxServer
from telemetry.registry import Registry, load_registry

MINUTE, HOUR = 60_000, 3_600_000
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


class City:
    """Readings and arrival markers of every meter, as the collector stores them."""

    def __init__(self, registry: Registry, read_ms: int, base_ms: int = 0) -> None:
        self.sites = list(registry.sites.values())
        self.read_ms = read_ms
        self.base_ms = base_ms  # when every counter stood at 1000
        self._stamp = 0

    def batch(self, start: int, end: int) -> tuple[list[str], list[str]]:
        """Readings with ts in [start, end) and their markers (arrived ts + 1 s)."""
        lines: list[str] = []
        spans: dict[tuple[int, str], Span] = {}
        for n, site in enumerate(self.sites):
            tags = (
                f"site={site.id},district={site.district},dong={site.dong},"
                f"building_type={site.building_type.value},quality=good"
            )
            offset = (n * 7_919) % self.read_ms  # staggered polls
            first = start + (offset - start) % self.read_ms
            for ts in range(first, end, self.read_ms):
                for utility, (counter, rate_field, rate) in RATES.items():
                    r = rate * (1 + (n % 7) / 10)
                    value = 1000.0 + r * (ts - self.base_ms) / HOUR
                    lines.append(
                        f"{utility},meter={utility}-1,{tags} {counter}={value},{rate_field}={r} {ts}"
                    )
                spans.setdefault((ts - ts % MINUTE, site.id), Span(ts, ts)).add(ts, len(RATES))
        return lines, [self._marker(site, span) for (_minute, site), span in spans.items()]

    def _marker(self, site: str, span: Span) -> str:
        self._stamp += 1
        return marker("bench", site, span, (span.t1_ms + 1000) * 1_000_000 + self._stamp % 10**6)


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
    _store(influx.url, raw, lines, markers)
    out.history_points = len(lines)
    engine = _engine(sites, registry, influx.url, raw, public)
    engine.clock = lambda: t0 / 1000
    t = time.perf_counter()
    engine.run_pass()
    out.full_s = time.perf_counter() - t
    for i in range(1, passes + 1):
        lines, markers = city.batch(t0 + (i - 1) * MINUTE, t0 + i * MINUTE)
        _store(influx.url, raw, lines, markers)
        engine.clock = lambda i=i: (t0 + i * MINUTE + 2_000) / 1000
        t = time.perf_counter()
        report = engine.run_pass()
        out.passes.append((len(lines), time.perf_counter() - t))
        assert not report.full, "a regular pass recomputed everything"
    return out


def _engine(sites: Path, registry: Registry, url: str, raw: str, public: str) -> Engine:
    settings = RollupSettings(
        config=sites, influx_url=url, influx_bucket=raw, influx_public_bucket=public
    )
    return build_engine(settings, registry)


def _store(url: str, db: str, lines: list[str], markers: list[str]) -> None:
    write(url, db, lines)
    store_markers(url, db, markers)


def store_markers(url: str, db: str, markers: list[str]) -> None:
    """Arrival markers (ns), as the collector writes them after the readings."""
    with InfluxDBClient(url=url, token="", org="gwangju", timeout=120_000) as client:
        api = client.write_api(write_options=SYNCHRONOUS)
        for i in range(0, len(markers), 5000):
            body = "\n".join(markers[i : i + 5000])
            api.write(bucket=db, record=body, write_precision=WritePrecision.NS)


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
