"""Rollup capacity at city-like scale: new readings per second of pass time.

One InfluxDB (devstack, temporary directory), one synthetic city of --sites
sites (electricity, water, solar meter each; synthetic_city.py over the 96
dongs), one reading per meter every --read-s seconds (staggered), an hour of
history with the collector's arrival markers, then a fresh rollup's first
(full) pass. Then, a minute apart, each with that minute's new readings:

  - **new**: passes after the process forgot its meter states (as after a
    restart, or in a city run shorter than the read interval: every site
    sends for the first time), so every touched site is recomputed from raw
    readings with its context;
  - **steady**: passes where every touched site has a kept state (resumed);
  - **restarted**: passes after a restart that found the meter states saved at
    the stop (snapshot.py): the states and markers taken are saved (the stopping
    process's work), forgotten, and read back as a starting process reads them,
    while its registry loads (neither timed: printed apart); the pass takes them.
    The group books are kept, as for "new" (their build, once per process, is
    "first+build");
  - with `--first-sight`, in a database of its own without history: **first+build**
    and **first**, passes taking sites' first readings (a city's first read interval,
    as bench_city runs it; the first of them builds the books of the periods begun
    before the process).

Prints per kind the new readings, seconds and new readings per second of
pass time (median over --passes); `--profile DIR` writes a cProfile of the
first pass of each kind. Baseline: the same file run against an older tree
(`PYTHONPATH`, or from its checkout) in the same session; `--compare` also
measures, in the same run, markers that carry no readings (the rollup then
reads each pass's new readings from the store by time, as before the
markers handed them over) and prints the ratio.

    python -m bench.bench_rollup_pass [--sites 20000] [--read-s 900] [--passes 3] [--compare]
        [--first-sight]
"""

from __future__ import annotations

import cProfile
import statistics
import time
from pathlib import Path
from typing import Annotated

import typer

from bench.synthetic_city import (
    HOUR,
    MINUTE,
    City,
    rollup_engine,
    scratch_influx,
    sites_yaml,
    store,
)
from collector.rollup.engine import Engine
from collector.rollup.snapshot import Snapshots
from collector.rollup.touched import ArrivalLog
from devstack import InfluxServer
from telemetry.registry import load_registry

# steady first: "new" forgets the states the full pass kept
KINDS = ("steady", "restarted", "new")


def measure(
    influx: InfluxServer,
    workdir: Path,
    n_sites: int,
    read_s: float,
    passes: int,
    profile: Path | None,
    label: str,
    hand_over: bool = True,
) -> dict[str, list[tuple[int, float]]]:
    """Per kind, (new readings, seconds) of each timed pass."""
    city, engine, raw, t0 = after_full_pass(influx, workdir, n_sites, read_s, label, hand_over)
    out: dict[str, list[tuple[int, float]]] = {kind: [] for kind in KINDS}
    minute = 0
    for kind in KINDS:
        for i in range(passes):
            minute += 1
            lines, markers = city.batch(t0 + (minute - 1) * MINUTE, t0 + minute * MINUTE)
            store(influx.url, raw, lines, markers)
            engine.clock = lambda m=minute: (t0 + m * MINUTE + 2_000) / 1000
            if kind == "new":
                engine.computer.states.clear()
                engine.computer.site_last.clear()
            if kind == "restarted":
                SAVES.append(stopped_and_started(engine, workdir / f"{label}-states.pickle"))
            prof = cProfile.Profile() if profile is not None and i == 0 else None
            t = time.perf_counter()
            if prof is not None:
                prof.enable()
            report = engine.run_pass()
            seconds = time.perf_counter() - t
            if prof is not None and profile is not None:
                prof.disable()
                prof.dump_stats(profile / f"{label}-{kind}.prof")
            assert not report.full, "a regular pass recomputed everything"
            # steady: a few sites read just before the full pass's end are recomputed
            resumed = report.resumed_sites / max(report.touched_sites, 1)
            assert resumed > 0.9 if kind != "new" else resumed == 0, f"{kind}: {report}"
            out[kind].append((len(lines), seconds))
    return out


SAVES: list[tuple[int, float, float, int]] = []  # meters, save s, load s, bytes


def stopped_and_started(engine: Engine, path: Path) -> tuple[int, float, float, int]:
    """The engine as a process stopped and started again finds it, books apart: its
    meter states saved, then forgotten with the markers taken, to be read back by the
    next pass. (meters, seconds to save, seconds to load, bytes)."""
    engine.snapshots = Snapshots(path, every_s=1e9)
    began = time.perf_counter()
    engine.save_states()
    saved = time.perf_counter() - began
    meters = len(engine.computer.states)
    engine.computer.states, engine.computer.site_last, engine.computer.quiet = {}, {}, {}
    engine.log = ArrivalLog()
    engine._snapshot_tried = False  # a new process takes the snapshot at its first pass
    began = time.perf_counter()
    engine.snapshots.read_ahead()  # … read at its start, while its registry loads
    loaded = time.perf_counter() - began
    return meters, saved, loaded, path.stat().st_size


def after_full_pass(
    influx: InfluxServer,
    workdir: Path,
    n_sites: int,
    read_s: float,
    label: str,
    hand_over: bool = True,
    history: bool = True,
) -> tuple[City, Engine, str, int]:
    """The synthetic city in databases of its own (`label`), an hour of its history
    unless not `history`, and a fresh rollup engine after its full pass: the city, the
    engine, the raw database and the full pass's time (mid-hour, well in the past)."""
    sites = workdir / f"sites-{n_sites}.yaml"
    sites.write_text(sites_yaml(n_sites), encoding="utf-8")
    registry = load_registry(sites)
    raw, public = f"raw_{label}", f"pub_{label}"
    influx.create_database(raw)
    influx.create_database(public)
    city = City(registry, int(read_s * 1000), hand_over=hand_over)
    now = int(time.time() * 1000)
    t0 = now - now % HOUR - 3 * HOUR + 30 * MINUTE
    if history:
        store(influx.url, raw, *city.batch(t0 - HOUR, t0))
    engine = rollup_engine(sites, registry, influx.url, raw, public)
    engine.clock = lambda: t0 / 1000
    engine.run_pass()
    return city, engine, raw, t0


def measure_first(
    influx: InfluxServer, workdir: Path, n_sites: int, read_s: float, passes: int
) -> dict[str, list[tuple[int, float]]]:
    """A city's first read interval, as bench_city runs it: no history, so the full pass
    finds every site silent; then passes a minute apart, each taking sites' first
    readings (states started with no past, meters' tags escaped the first time). The
    first of them also builds the books of the periods begun before the process
    ("first+build": once per process); "first": the passes after it."""
    city, engine, raw, t0 = after_full_pass(
        influx, workdir, n_sites, read_s, "first", history=False
    )
    out: dict[str, list[tuple[int, float]]] = {"first+build": [], "first": []}
    for minute in range(1, passes + 2):
        lines, markers = city.batch(t0 + (minute - 1) * MINUTE, t0 + minute * MINUTE)
        store(influx.url, raw, lines, markers)
        engine.clock = lambda m=minute: (t0 + m * MINUTE + 2_000) / 1000
        t = time.perf_counter()
        report = engine.run_pass()
        seconds = time.perf_counter() - t
        assert report.resumed_sites == report.touched_sites, f"first sight: {report}"
        out["first+build" if minute == 1 else "first"].append((len(lines), seconds))
        print(f"first sight, pass {minute}: {report.phases()}")
    return out


def main(
    sites: Annotated[int, typer.Option(help="sites (3 meters each)")] = 20_000,
    read_s: Annotated[float, typer.Option(help="seconds between a meter's readings")] = 900.0,
    passes: Annotated[int, typer.Option(help="timed passes per kind")] = 3,
    profile: Annotated[Path | None, typer.Option(help="write cProfile stats here")] = None,
    compare: Annotated[
        bool, typer.Option(help="also measure markers without readings, and the ratio")
    ] = False,
    first_sight: Annotated[
        bool, typer.Option(help="also measure passes of sites seen for the first time")
    ] = False,
) -> None:
    """New readings per second of pass time, new sites and steady state (module docstring)."""
    if profile is not None:
        profile.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[str, list[tuple[int, float]]]] = {}
    with scratch_influx() as (influx, tmp):
        for label in ("store", "run") if compare else ("run",):
            results[label] = measure(
                influx, tmp, sites, read_s, passes, profile, label, label == "run"
            )
        if first_sight:
            results["run"].update(measure_first(influx, tmp, sites, read_s, passes))
    for label, result in results.items():
        if compare:
            print("markers carry no readings:" if label == "store" else "markers hand over:")
        report(result, sites, read_s)
    if compare:
        for kind in KINDS:
            before, after = (rate(results[x][kind]) for x in ("store", "run"))
            print(f"{kind}: {after / before:.2f}x the new readings per second of pass time")
    if SAVES:
        meters, save_s, load_s, size = (statistics.median(x[i] for x in SAVES) for i in range(4))
        print(
            f"meter states of {meters:.0f} meters: {size / 1e6:.1f} MB "
            f"({size / meters:.0f} B a meter), saved in {save_s:.2f} s, loaded in {load_s:.2f} s "
            f"({1e6 * save_s / meters:.1f} / {1e6 * load_s / meters:.1f} s per million meters)"
        )
    if first_sight:
        ratio = rate(results["run"]["steady"]) / rate(results["run"]["first"])
        print(f"first sight: a reading costs {ratio:.2f}x what it costs in a steady pass")


def report(result: dict[str, list[tuple[int, float]]], sites: int, read_s: float) -> None:
    print(f"{sites} sites ({3 * sites} meters), reads every {read_s:g} s, passes a minute apart")
    print(f"{'pass':>11} {'new/pass':>9} {'pass s':>7} {'new/s':>7}")
    for kind, runs in result.items():
        new = statistics.median(n for n, _ in runs)
        secs = statistics.median(s for _, s in runs)
        print(f"{kind:>11} {new:>9.0f} {secs:>7.2f} {rate(runs):>7.0f}")


def rate(runs: list[tuple[int, float]]) -> float:
    """New readings per second of pass time over the runs."""
    return sum(n for n, _ in runs) / sum(s for _, s in runs)


if __name__ == "__main__":
    typer.run(main)
