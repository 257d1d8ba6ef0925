"""bench_city's InfluxDB disk: data (TSM, index) and WAL apart, before and after compaction.

InfluxDB 1.x fully compacts a shard only once it has had no writes for
`compact-full-write-cold-duration` (4 h by default): `compact` restarts influxd
with that and `cache-snapshot-write-cold-duration` short, then waits until the
files settle, so that a run of minutes shows what a day costs once compacted.

InfluxDB 1.6 keeps appending to a WAL segment it replayed at start-up, so that
segment outlives the snapshot of its data into TSM until the next write: one
marker point per shard (measurement `bench_compact`) is that write.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx

from devstack import InfluxServer

MB = 2**20
COLD = "10s"  # the cold duration the bench gives both settings (docs/DECISIONS.md)
POLL_S = 5.0
STABLE_S = 30.0  # no file changed for this long: well past a cold duration
WAL_FLUSHED_MB = 1.0


@dataclass(frozen=True)
class Disk:
    """MB allocated under an InfluxDB workdir: TSM files, everything else under
    data/ (TSI index, series file, fields), and the WAL."""

    tsm: float = 0.0
    index: float = 0.0
    wal: float = 0.0

    @property
    def data(self) -> float:
        return self.tsm + self.index

    @property
    def total(self) -> float:
        return self.data + self.wal

    def __sub__(self, other: Disk) -> Disk:
        return Disk(self.tsm - other.tsm, self.index - other.index, self.wal - other.wal)


def files(root: Path) -> dict[Path, int]:
    """Every file's bytes allocated on disk, not its apparent size: the series
    file's segments are sparse, 4 MB apiece (32 MB a database) when first made,
    mostly holes (a file removed while listed is left out)."""
    sizes = {}
    for path in root.rglob("*"):
        try:
            if path.is_file():
                sizes[path] = path.stat().st_blocks * 512
        except FileNotFoundError:  # a compaction replaced it meanwhile
            continue
    return sizes


def disk_of(sizes: dict[Path, int], root: Path) -> Disk:
    data, wal = root / "data", root / "wal"
    tsm = sum(n for p, n in sizes.items() if p.is_relative_to(data) and p.suffix == ".tsm")
    index = sum(n for p, n in sizes.items() if p.is_relative_to(data) and p.suffix != ".tsm")
    return Disk(
        tsm / MB, index / MB, sum(n for p, n in sizes.items() if p.is_relative_to(wal)) / MB
    )


def measure_disk(root: Path) -> Disk:
    return disk_of(files(root), root)


def generations(sizes: dict[Path, int]) -> dict[Path, set[str]]:
    """TSM generations per shard directory (files are GGGGGGGGG-SSSSSSSSS.tsm):
    a fully compacted shard holds one."""
    found: dict[Path, set[str]] = {}
    for path in sizes:
        if path.suffix == ".tsm":
            found.setdefault(path.parent, set()).add(path.name.split("-")[0])
    return found


def settled(sizes: dict[Path, int], root: Path) -> bool:
    """The WAL written into TSM and every shard down to one generation."""
    one_each = all(len(g) == 1 for g in generations(sizes).values())
    return one_each and disk_of(sizes, root).wal < WAL_FLUSHED_MB


def compact(
    influx: InfluxServer, timeout_s: float, say: Callable[[str], None] = print
) -> tuple[Disk, bool]:
    """Restart influxd with short cold durations (nothing else may be writing)
    and wait until its files have settled and stayed unchanged STABLE_S; the
    disk then, and whether it settled before `timeout_s`."""
    influx.stop_influxd()
    influx.compact_full_cold = influx.cache_snapshot_cold = COLD
    influx.start_influxd()
    touch_shards(influx)
    began = time.monotonic()
    last, unchanged_since = files(influx.workdir), time.monotonic()
    while time.monotonic() - began < timeout_s:
        time.sleep(POLL_S)
        now = files(influx.workdir)
        if now != last:
            last, unchanged_since = now, time.monotonic()
        stable = time.monotonic() - unchanged_since
        say(progress(now, influx.workdir, time.monotonic() - began, stable))
        if stable >= STABLE_S and settled(now, influx.workdir):
            return disk_of(now, influx.workdir), True
        if stable >= STABLE_S:  # a replayed segment still there: write again
            touch_shards(influx)
    return disk_of(last, influx.workdir), False


def touch_shards(influx: InfluxServer) -> None:
    """One point at the start of every shard, so that its WAL rolls over (module doc)."""
    result = influx.query("SHOW SHARDS")
    for series in result["results"][0].get("series", []):
        columns = series["columns"]
        for row in series.get("values", []):
            shard = dict(zip(columns, row, strict=True))
            start = datetime.fromisoformat(str(shard["start_time"]).replace("Z", "+00:00"))
            params = {"db": shard["database"], "rp": shard["retention_policy"], "precision": "s"}
            body = f"bench_compact touched=1i {int(start.timestamp())}"
            httpx.post(
                f"{influx.url}/write", params=params, content=body, timeout=30
            ).raise_for_status()


def progress(sizes: dict[Path, int], root: Path, waited: float, stable: float) -> str:
    disk, gens = disk_of(sizes, root), generations(sizes)
    tsm_files = sum(1 for p in sizes if p.suffix == ".tsm")
    most = max((len(g) for g in gens.values()), default=0)
    return (
        f"compaction: {waited:.0f} s: {tsm_files} TSM files in {len(gens)} shards "
        f"(at most {most} generations in one), TSM {disk.tsm:.1f} MB, index {disk.index:.1f} MB, "
        f"WAL {disk.wal:.1f} MB; unchanged for {stable:.0f} s"
    )


def disk_table(rows: dict[str, Disk], per_day: Callable[[float], float]) -> list[str]:
    """A markdown table: MB per row, and the total as MB per day per million meters
    (`per_day`) and GB per day for the city's 2.4 million meters."""
    lines = [
        "| disk allocated, grown by the history | TSM MB | index MB | WAL MB | all MB "
        "| MB per day per million meters | GB per day, 2.4M meters |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, d in rows.items():
        day = per_day(d.total)
        lines.append(
            f"| {name} | {d.tsm:.1f} | {d.index:.1f} | {d.wal:.1f} | {d.total:.1f} "
            f"| {day:,.0f} | {day * 2.4 / 1024:.1f} |"
        )
    return lines
