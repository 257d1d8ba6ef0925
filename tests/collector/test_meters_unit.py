"""The meter gate, seq jumps and stats bounds, without servers."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector import meters as gate_module
from collector.meters import MeterGate
from collector.seqtrack import MAX_GAP, SeqTracker
from collector.stats import INT64_MAX, Stats
from telemetry.influxql import InfluxQueryError
from telemetry.registry import Registry, load_registry
from tests.collector.helpers import demo_config

SITE = "munheung-apt"  # four listed meters in the demo


def _registry(tmp_path: Path, margin: int, expected: dict[str, int] | None = None) -> Registry:
    return load_registry(demo_config(tmp_path, margin, expected))


def test_limit_is_expected_meters_plus_margin(tmp_path: Path) -> None:
    reg = _registry(tmp_path, 3, {SITE: 10})
    assert reg.sites_file.meter_limit(reg.sites[SITE]) == 13
    assert (
        reg.sites_file.meter_limit(reg.sites["hanam-ic"])
        == len(reg.sites["hanam-ic"].listed_meters) + 3
    )


def test_new_meters_are_admitted_up_to_the_limit_and_listed_ones_always(tmp_path: Path) -> None:
    gate = MeterGate(_registry(tmp_path, 3))
    listed = sorted(_registry(tmp_path, 3).sites[SITE].listed_meters)
    first = gate.admit(SITE, ["x1", "x2", "x1", *listed])
    assert first.admitted == ["x1", "x2"] and not first.refused
    second = gate.admit(SITE, ["x3", "x4", "x5", "x1", *listed])
    assert second.admitted == ["x3"]
    assert second.refused == {"x4", "x5"}
    assert second.limit == len(listed) + 3
    # Sites have limits of their own.
    assert gate.admit("hanam-ic", ["x4"]).admitted == ["x4"]


def test_stored_meters_are_known_and_looked_up_once_per_site(tmp_path: Path) -> None:
    calls: list[str] = []

    def stored(site: str) -> set[str]:
        calls.append(site)
        return {"old-1", "old-2"}

    reg = _registry(tmp_path, 2)
    gate = MeterGate(reg, stored)
    listed = sorted(reg.sites[SITE].listed_meters)
    assert gate.admit(SITE, listed).admitted == []
    assert calls == []  # listed meters need no look-up
    got = gate.admit(SITE, ["old-1", "old-2", "new-1"])
    assert got.admitted == []  # stored + listed already fill limit = listed + 2
    assert got.refused == {"new-1"}
    assert calls == [SITE]  # and the look-up before refusing was within RESEED_S


def test_a_meter_another_collector_admitted_is_learnt_before_refusing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    held: set[str] = set()
    gate = MeterGate(_registry(tmp_path, 1), lambda _site: set(held))
    assert gate.admit(SITE, ["mine"]).admitted == ["mine"]
    held.add("theirs")  # stored by a collector beside us
    monkeypatch.setattr(gate_module, "RESEED_S", 0.0)
    got = gate.admit(SITE, ["theirs", "phantom"])
    assert got.admitted == [] and got.refused == {"phantom"}


def test_a_failed_look_up_keeps_the_limit(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    def down(_site: str) -> set[str]:
        raise InfluxQueryError("InfluxDB at http://influx:8086 unreachable")

    gate = MeterGate(_registry(tmp_path, 2), down)
    got = gate.admit(SITE, ["a", "b", "c"])
    assert got.admitted == ["a", "b"] and got.refused == {"c"}
    assert "not read from InfluxDB" in caplog.text


def test_a_reloaded_registry_brings_its_new_limit(tmp_path: Path) -> None:
    gate = MeterGate(_registry(tmp_path, 1))
    assert gate.admit(SITE, ["a", "b"]).refused == {"b"}
    gate.use_registry(_registry(tmp_path, 5))
    assert gate.admit(SITE, ["b"]).admitted == ["b"]


def test_a_seq_jump_past_max_gap_is_a_new_baseline_not_gaps() -> None:
    t = SeqTracker()
    t.observe("a", 0)
    assert t.observe("a", MAX_GAP + 1).gaps == MAX_GAP  # the largest counted gap
    jump = t.observe("a", 2**53 - 1)
    assert jump.reset and jump.gaps == 0
    assert t.observe("a", 2**53 - 2).late


def test_stats_counters_saturate_at_int64() -> None:
    stats = Stats("t")
    stats.add(seq_gaps=2**62)
    stats.add(seq_gaps=2**62)
    stats.add(seq_gaps=2**70)
    assert stats.seq_gaps == INT64_MAX
    assert f"seq_gaps={INT64_MAX}i" in stats.line(0)
