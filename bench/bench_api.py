"""API latency at 1x and 10x meters: city-wide answers come from rollups, not raw readings.

One run, one InfluxDB (devstack, in a temporary directory):
  for scale in 1x, 10x:
    - a synthetic city of `meters * scale` meters (electricity, water, solar per
      site) spread over Gwangju's 96 dongs and six building types;
    - raw readings in the collector's exact format: one per meter per minute for
      the last 2 hours, and one per meter every 6 hours for the 30 days before;
    - one rollup pass (`collector.rollup`, in-process) over those 31 days (full:
      the first pass), then a minute of new readings with their arrival markers
      and one regular pass (its cost per new reading, 10x/1x, goal <= 1.2);
    - `python -m api` as a real process per scale; p50/p99 of GET /v1/city/live
      and of a district's month series (GET /v1/districts/29200/consumption,
      every=day over 30 days), over HTTP after a warm-up, alternating slices of
      25 requests between the two scales so that other load on the machine
      falls on both alike.
Prints the figures and the p99 ratio 10x/1x (goal <= 1.2).

    python -m bench.bench_api [--meters 300] [--requests 300]
"""

from __future__ import annotations

import datetime as dt
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated

import httpx
import typer

from bench.synthetic_city import HOUR, MINUTE, RATES, City, sites_yaml, store_markers, write
from collector.rollup.cli import build_engine
from collector.rollup.settings import RollupSettings
from devstack import InfluxServer, component_env, flags, free_port
from telemetry.registry import load_registry

DAY = 86_400_000
KST = dt.timezone(dt.timedelta(hours=9))


def raw_lines(registry, now: int) -> list[str]:  # type: ignore[no-untyped-def]
    """Readings as the collector writes them (line protocol, ms)."""
    recent = [now - now % MINUTE - i * MINUTE for i in range(120, 0, -1)]
    start = counters_base(now)
    old = [start + i * 6 * HOUR for i in range(120)]
    lines = []
    for n, site in enumerate(registry.sites.values()):
        tags = (
            f"site={site.id},district={site.district},dong={site.dong},"
            f"building_type={site.building_type.value},quality=good"
        )
        for utility, (counter, rate_field, rate) in RATES.items():
            r = rate * (1 + (n % 7) / 10)
            for ts in old + recent:
                value = 1000.0 + r * (ts - start) / HOUR
                lines.append(
                    f"{utility},meter={utility}-1,{tags} {counter}={value},{rate_field}={r} {ts}"
                )
    return lines


def counters_base(now: int) -> int:
    """When raw_lines' counters stood at 1000."""
    return now - now % MINUTE - 120 * MINUTE - 30 * DAY


def regular_pass(url: str, db: str, registry, engine, base: int) -> tuple[int, float]:  # type: ignore[no-untyped-def]
    """The next minute's readings, with the collector's arrival markers, then one
    regular pass (bench_rollup.py measures this at more passes and cadences)."""
    now = int(time.time() * 1000)
    lines, markers = City(registry, MINUTE, base).batch(now - now % MINUTE, now)
    write(url, db, lines)
    store_markers(url, db, markers)
    time.sleep(1.1)  # markers are stamped a second after their readings
    t = time.perf_counter()
    engine.run_pass()
    return len(lines), time.perf_counter() - t


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(
    bases: list[str], path: str, params: dict, n: int, slice_: int = 25
) -> list[list[float]]:
    """Latencies (ms) per base URL, alternating slices so that load from other
    processes on the machine falls on every scale alike."""
    clients = [httpx.Client(base_url=b, timeout=30) for b in bases]
    try:
        for client in clients:
            for _ in range(20):
                client.get(path, params=params).raise_for_status()
        times: list[list[float]] = [[] for _ in bases]
        while len(times[0]) < n:
            for client, out in zip(clients, times, strict=True):
                for _ in range(slice_):
                    t = time.perf_counter()
                    client.get(path, params=params).raise_for_status()
                    out.append((time.perf_counter() - t) * 1000)
        return times
    finally:
        for client in clients:
            client.close()


def start_api(url: str, raw: str, public: str, sites: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = component_env()
    argv = [sys.executable, "-m", "api"] + flags(
        port=port, config=sites, influx_url=url, influx_bucket=raw, influx_public_bucket=public
    )
    proc = subprocess.Popen(
        argv,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/v1/districts", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"api did not start: {proc.stderr.read().decode() if proc.stderr else ''}")


def run_scale(influx: InfluxServer, workdir: Path, meters: int) -> dict:
    sites = workdir / f"sites-{meters}.yaml"
    sites.write_text(sites_yaml(meters // len(RATES)), encoding="utf-8")
    registry = load_registry(sites)
    raw, public = f"raw_{meters}", f"pub_{meters}"
    influx.create_database(raw)
    influx.create_database(public)
    now = int(time.time() * 1000)
    lines = raw_lines(registry, now)
    t = time.perf_counter()
    write(influx.url, raw, lines)
    t_write = time.perf_counter() - t
    settings = RollupSettings(
        config=sites,
        influx_url=influx.url,
        influx_bucket=raw,
        influx_public_bucket=public,
        lookback_s=31 * 86400,
        max_catchup_s=31 * 86400,
        chunk_s=86400,
    )
    t = time.perf_counter()
    engine = build_engine(settings, registry)
    engine.run_pass()
    t_rollup = time.perf_counter() - t
    new, t_regular = regular_pass(influx.url, raw, registry, engine, counters_base(now))
    return {
        "regular_new": new,
        "regular_s": t_regular,
        "meters": meters,
        "points": len(lines),
        "write_s": t_write,
        "rollup_s": t_rollup,
        "raw": raw,
        "public": public,
        "sites": sites,
        "now": now,
    }


def month_params(now: int) -> dict[str, str]:
    """A 30-day window of days (KST), ending today."""
    today = dt.datetime.fromtimestamp(now / 1000, KST).date()
    start = today - dt.timedelta(days=30)
    return {"every": "day", "start": start.isoformat(), "end": today.isoformat()}


def main(
    meters: Annotated[int, typer.Option(help="meters at 1x")] = 300,
    requests: Annotated[int, typer.Option(help="timed requests per endpoint")] = 600,
) -> None:
    """API latency at 1x and 10x the meters (see the module docstring and bench/README.md)."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "influx").mkdir()
        influx = InfluxServer(Path(tmp) / "influx")
        influx.start()
        procs: list[subprocess.Popen] = []
        try:
            results = [run_scale(influx, Path(tmp), meters * s) for s in (1, 10)]
            for r in results:
                proc, r["base"] = start_api(influx.url, r["raw"], r["public"], r["sites"])
                procs.append(proc)
            bases = [r["base"] for r in results]
            live = measure(bases, "/v1/city/live", {}, requests)
            month = measure(
                bases,
                "/v1/districts/29200/consumption",
                month_params(results[0]["now"]),
                requests,
            )
            for r, lv, mo in zip(results, live, month, strict=True):
                r["live"], r["series"] = lv, mo
                body = httpx.get(f"{r['base']}/v1/city/live").json()
                elec = next(u for u in body["utilities"] if u["utility"] == "electricity")
                r["live_meters_reporting"] = elec["meters"]
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(10)
            influx.stop()
    report(results)


def report(results: list[dict]) -> None:
    print(
        f"{'scale':>5} {'meters':>7} {'raw pts':>8} {'write s':>8} {'rollup s':>9} "
        f"{'live p50':>9} {'live p99':>9} {'month p50':>10} {'month p99':>10}  (ms)"
    )
    for scale, r in zip(("1x", "10x"), results, strict=True):
        print(
            f"{scale:>5} {r['meters']:>7} {r['points']:>8} {r['write_s']:>8.1f} "
            f"{r['rollup_s']:>9.1f} {statistics.median(r['live']):>9.2f} "
            f"{percentile(r['live'], 0.99):>9.2f} {statistics.median(r['series']):>10.2f} "
            f"{percentile(r['series'], 0.99):>10.2f}   meters live: {r['live_meters_reporting']}"
        )
    one, ten = results
    per_new = [r["regular_s"] * 1000 / max(r["regular_new"], 1) for r in results]
    print(
        f"regular rollup pass (one minute of new readings): 1x {one['regular_s']:.2f} s for "
        f"{one['regular_new']}, 10x {ten['regular_s']:.2f} s for {ten['regular_new']}; "
        f"per new reading 10x/1x = {per_new[1] / per_new[0]:.2f} (goal <= 1.2)"
    )
    for name, label in (("live", "/v1/city/live"), ("series", "district month series")):
        p99 = percentile(ten[name], 0.99) / percentile(one[name], 0.99)
        p50 = statistics.median(ten[name]) / statistics.median(one[name])
        print(f"{label}: p99 10x/1x = {p99:.2f} (goal <= 1.2); p50 10x/1x = {p50:.2f}")


if __name__ == "__main__":
    typer.run(main)
