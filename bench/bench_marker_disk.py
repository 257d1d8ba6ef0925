"""What markers that hand over their readings cost on disk, once InfluxDB has compacted.

One InfluxDB (devstack, temporary directory), the synthetic city of --sites
sites (synthetic_city.py: three meters each, a reading every --read-s
seconds) written for --hours hours twice, into two databases: once with
markers that hand over their readings (`handed_readings` in the policy
`handed`, as the collector writes them) and once without. Then InfluxDB
compacts (city_disk.compact) and the bench prints each database's data on
disk per retention policy: the raw policy (readings and markers) is what the
raw retention keeps; the handed readings expire after two days.

    python -m bench.bench_marker_disk [--sites 5000] [--read-s 900] [--hours 6]
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from bench.city_disk import MB, compact, files
from bench.synthetic_city import HOUR, City, scratch_influx, sites_yaml, store
from devstack import InfluxServer
from telemetry.registry import load_registry

DATABASES = ("without", "carrying")


def fill(influx: InfluxServer, workdir: Path, n_sites: int, read_s: float, hours: int) -> int:
    """The city's readings and markers into the three databases; the readings written."""
    sites = workdir / "sites.yaml"
    sites.write_text(sites_yaml(n_sites), encoding="utf-8")
    registry = load_registry(sites)
    plain, carrying = (City(registry, int(read_s * 1000), hand_over=h) for h in (False, True))
    for db in DATABASES:
        influx.create_database(db)
    now = int(time.time() * 1000)
    start = now - now % HOUR - hours * HOUR
    written = 0
    with typer.progressbar(range(hours), label="writing hours") as bar:
        for h in bar:
            span = (start + h * HOUR, start + (h + 1) * HOUR)
            lines, markers = plain.batch(*span)
            store(influx.url, "without", lines, markers)
            lines, markers = carrying.batch(*span)
            store(influx.url, "carrying", lines, markers)
            written += len(lines)
    return written


def sizes_mb(root: Path) -> dict[tuple[str, str], float]:
    """MB allocated per database and retention policy under data/ (TSM and index files
    of the policy's shards; the database's series file as "_series")."""
    out: dict[tuple[str, str], float] = {}
    for path, n in files(root).items():
        if not path.is_relative_to(root / "data"):
            continue
        parts = path.relative_to(root / "data").parts
        rp = parts[1] if len(parts) > 2 else ""
        out[(parts[0], rp)] = out.get((parts[0], rp), 0.0) + n / MB
    return out


def main(
    sites: Annotated[int, typer.Option(help="sites (3 meters each)")] = 5_000,
    read_s: Annotated[float, typer.Option(help="seconds between a meter's readings")] = 900.0,
    hours: Annotated[int, typer.Option(help="hours of readings written")] = 6,
    timeout_s: Annotated[float, typer.Option(help="longest wait for compaction")] = 900.0,
) -> None:
    """Disk per database after compaction, with and without the markers' readings."""
    with scratch_influx() as (influx, tmp):
        readings = fill(influx, tmp, sites, read_s, hours)
        _disk, settled = compact(influx, timeout_s, say=lambda _line: None)
        mb = sizes_mb(influx.workdir)
    print(f"{sites} sites ({3 * sites} meters), {hours} h at {read_s:g} s: {readings} readings")
    print("compacted" if settled else f"NOT fully compacted within {timeout_s:g} s")
    for (db, rp), size in sorted(mb.items()):
        if db in DATABASES and size > 0:
            per = size * MB / readings
            print(f"{db:>9} {rp:>9}: {size:8.1f} MB ({per:5.1f} B/reading)")
    kept = {
        db: sum(size for (d, rp), size in mb.items() if d == db and rp != "handed")
        for db in DATABASES
    }
    ratio = kept["carrying"] / kept["without"]
    print(f"all but the handed policy, carrying / without: {ratio:.2f}x")
    handed = mb.get(("carrying", "handed"), 0.0)
    print(f"handed readings: {handed * MB / readings:.1f} B a reading, kept two days")


if __name__ == "__main__":
    typer.run(main)
