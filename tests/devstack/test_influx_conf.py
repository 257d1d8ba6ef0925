"""devstack's influxd config file (unit: written, never started): the cold durations."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from devstack import InfluxServer


@pytest.fixture(autouse=True)
def _no_ports(monkeypatch: pytest.MonkeyPatch) -> None:
    """A config file written, never a server started: no port taken for it."""
    ports = iter(range(20_000, 20_100))
    monkeypatch.setattr("devstack.influx.free_port", lambda: next(ports))


def _data_section(server: InfluxServer) -> dict[str, object]:
    section = tomllib.loads(server._influxd_conf())["data"]
    assert isinstance(section, dict)
    return section


def test_cold_durations_are_influxdbs_defaults_unless_asked(tmp_path: Path) -> None:
    data = _data_section(InfluxServer(tmp_path))
    assert data["compact-full-write-cold-duration"] == "4h"
    assert data["cache-snapshot-write-cold-duration"] == "10m"


def test_cold_durations_given_reach_the_config_file(tmp_path: Path) -> None:
    server = InfluxServer(tmp_path, compact_full_cold="15s", cache_snapshot_cold="5s")
    data = _data_section(server)
    assert data["compact-full-write-cold-duration"] == "15s"
    assert data["cache-snapshot-write-cold-duration"] == "5s"


def test_cold_durations_changed_later_are_read_at_the_next_start(tmp_path: Path) -> None:
    server = InfluxServer(tmp_path)
    server.compact_full_cold = "10s"  # what bench_city --compact does before restarting influxd
    assert _data_section(server)["compact-full-write-cold-duration"] == "10s"
