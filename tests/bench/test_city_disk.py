"""bench_city --compact's file arithmetic (unit): TSM, index and WAL apart; when settled."""

from __future__ import annotations

from pathlib import Path

from bench.city_disk import MB, Disk, disk_of, disk_table, generations, settled

ROOT = Path("influx")
SHARD = ROOT / "data" / "energy" / "autogen" / "2"


def test_tsm_index_and_wal_are_counted_apart() -> None:
    sizes = {
        SHARD / "000000003-000000002.tsm": 3 * MB,
        SHARD / "index" / "0" / "L0-00000001.tsl": MB,
        ROOT / "data" / "energy" / "_series" / "00" / "0000": MB,
        ROOT / "wal" / "energy" / "autogen" / "2" / "_00001.wal": 2 * MB,
    }
    assert disk_of(sizes, ROOT) == Disk(tsm=3.0, index=2.0, wal=2.0)
    assert (Disk(3, 2, 2) - Disk(1, 1, 1)).total == 4.0


def test_settled_needs_one_generation_per_shard_and_the_wal_flushed() -> None:
    two_generations = {SHARD / "000000001-000000001.tsm": MB, SHARD / "000000002-000000001.tsm": MB}
    assert generations(two_generations) == {SHARD: {"000000001", "000000002"}}
    assert not settled(two_generations, ROOT)
    compacted = {SHARD / "000000002-000000003.tsm": 2 * MB}
    assert settled(compacted, ROOT)
    wal_left = {**compacted, ROOT / "wal" / "energy" / "autogen" / "2" / "_00001.wal": 2 * MB}
    assert not settled(wal_left, ROOT)


def test_the_table_scales_the_total_to_a_day_per_million_meters() -> None:
    lines = disk_table({"compacted": Disk(10.0, 5.0, 1.0)}, lambda mb: mb * 250)
    assert lines[-1] == "| compacted | 10.0 | 5.0 | 1.0 | 16.0 | 4,000 | 9.4 |"
