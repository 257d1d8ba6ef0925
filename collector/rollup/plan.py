"""`python -m collector rollup --plan --meters N`: the settings that carry a city.

From the measured capacities in `config/capacity.yaml`: how many rollup workers hold
the city's readings, even through a first read interval when every site is new (the
slowest passes), the pass interval that keeps a reading's lag within the limit, and
the memory and disk that go with it.
"""

from __future__ import annotations

import math
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from telemetry.config.yaml_model import load_model
from telemetry.paths import config_dir

LAG_LIMIT_S = 120.0  # a reading's figures public within two minutes (issue 26)
UTILISATION = 0.8  # of a worker's capacity at most: room for late data and replays
MIN_INTERVAL_S = 10.0  # below this a pass's fixed costs dominate (SCALING.md)
COLLECTOR_LAG_S = 10.0  # arrival to stored, p99 at 500,000 meters (SCALING.md: 3–13 s)
MERGE_INTERVAL_S = 5.0  # the merge looks for the workers' passes this often (cheap when idle)
METERS_PER_SITE = 4  # the city plan's average (simulators fleet)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RollupCapacity(_Strict):
    steady_readings_per_s: float = Field(gt=0)
    new_site_readings_per_s: float = Field(gt=0)
    memory_kb_per_meter: float = Field(gt=0)
    registry_kb_per_site: float = Field(gt=0)
    merge_cpu_s_per_pass: float = Field(ge=0)


class CollectorCapacity(_Strict):
    readings_per_s: float = Field(gt=0)
    memory_kb_per_meter: float = Field(gt=0)


class InfluxCapacity(_Strict):
    memory_kb_per_meter: float = Field(gt=0)
    disk_gb_per_day_per_million_meters: float = Field(gt=0)


class Capacity(_Strict):
    rollup: RollupCapacity
    collector: CollectorCapacity
    influxdb: InfluxCapacity


class Plan(_Strict):
    meters: int
    read_s: float
    readings_per_s: float
    workers: int
    interval_s: float
    lag_s: float  # a reading's worst lag in steady state: the collector's, an interval, a pass
    rollup_cores: float  # cores the workers keep busy in steady state, all told
    collectors: int
    rollup_gb_per_worker: float
    collector_gb: float
    influx_gb: float
    disk_gb_per_day: float


def load_capacity(path: Path | None = None) -> Capacity:
    return load_model(path or config_dir() / "capacity.yaml", Capacity)


def plan(meters: int, read_s: float, cap: Capacity) -> Plan:
    """Workers, interval, memory and disk for `meters` read every `read_s` seconds."""
    if meters <= 0 or read_s <= 0:
        raise ValueError(f"meters ({meters}) and read_s ({read_s}) must be positive")
    needed = meters / read_s
    r = cap.rollup
    # New-site passes are the slowest: a city's first read interval must not fall behind.
    workers = max(1, math.ceil(needed / (r.new_site_readings_per_s * UTILISATION)))
    use = needed / workers / r.steady_readings_per_s  # busy share of a worker's time
    # Passes start an interval apart (cadence.py), so a pass takes T = interval × use.
    # A reading arriving as a pass starts waits for the next start and that pass:
    # interval + T. (When the interval was a pause after each pass, the model of
    # interval + 2T with T = (interval + T) × use gave 164 s at 500,000 meters and
    # 1,194 readings/s of capacity, where bench_city measured a p99 of 157-161 s.)
    stretch = 1 + use
    # Workers' figures are public after the merge's next pass: its pause and its pass.
    merging = MERGE_INTERVAL_S + 2 * r.merge_cpu_s_per_pass if workers > 1 else 0.0
    budget = LAG_LIMIT_S - COLLECTOR_LAG_S - merging
    interval = min(60.0, max(MIN_INTERVAL_S, budget / stretch))
    sites = meters / METERS_PER_SITE
    per_worker_kb = r.memory_kb_per_meter * meters / workers + r.registry_kb_per_site * sites
    collectors = max(1, math.ceil(needed / (cap.collector.readings_per_s * UTILISATION)))
    return Plan(
        meters=meters,
        read_s=read_s,
        readings_per_s=needed,
        workers=workers,
        interval_s=math.floor(interval),
        lag_s=round(math.floor(interval) * stretch + COLLECTOR_LAG_S + merging, 1),
        rollup_cores=round(needed / r.steady_readings_per_s, 2),
        collectors=collectors,
        rollup_gb_per_worker=per_worker_kb / 1e6,
        collector_gb=cap.collector.memory_kb_per_meter * meters / 1e6,
        influx_gb=cap.influxdb.memory_kb_per_meter * meters / 1e6,
        disk_gb_per_day=cap.influxdb.disk_gb_per_day_per_million_meters * meters / 1e6,
    )


def lines(p: Plan) -> list[str]:
    """The plan as a person reads it, with the settings to use."""
    settings = f"rollup_workers: {p.workers}, interval_s: {p.interval_s:g}"
    how = (
        "one rollup process"
        if p.workers == 1
        else f"{p.workers} workers (--worker) + one --merge (--interval {MERGE_INTERVAL_S:g})"
    )
    return [
        f"city: {p.meters:,} meters read every {p.read_s:g} s = {p.readings_per_s:,.0f} readings/s",
        f"rollup: {how}, a pass every {p.interval_s:g} s (lag ≤ {p.lag_s:g} s per reading)",
        f"  settings: {settings}",
        f"  memory: {p.rollup_gb_per_worker:.1f} GB per rollup process; "
        f"CPU: {p.rollup_cores:.2f} cores busy in steady state, all workers told",
        f"collectors: {p.collectors} (each {p.collector_gb:.1f} GB: the registry's meters)",
        f"InfluxDB: ~{p.influx_gb:.1f} GB memory, ~{p.disk_gb_per_day:,.0f} GB disk a day",
        "figures: config/capacity.yaml (measured on the bench box; deploy/SCALING.md)",
    ]
