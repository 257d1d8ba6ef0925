"""`python -m collector rollup --plan`: the settings that carry a city, from measured figures."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from collector.rollup.plan import (
    LAG_LIMIT_S,
    Capacity,
    load_capacity,
    plan,
)
from telemetry.registry import ConfigError
from tests.support.processes import Processes


@pytest.fixture(scope="module")
def capacity() -> Capacity:
    return load_capacity()


def test_a_small_city_is_one_process_at_the_default_interval(capacity: Capacity) -> None:
    p = plan(250_000, 900, capacity)
    assert (p.workers, p.interval_s) == (1, 60)
    assert p.lag_s <= LAG_LIMIT_S


@pytest.mark.parametrize("meters", [500_000, 1_000_000, 2_400_000, 10_000_000])
def test_every_city_gets_workers_that_hold_its_first_read_interval(
    capacity: Capacity, meters: int
) -> None:
    p = plan(meters, 900, capacity)
    per_worker = p.readings_per_s / p.workers
    assert per_worker <= capacity.rollup.new_site_readings_per_s  # new sites keep up
    fewer = p.readings_per_s / max(1, p.workers - 1)
    assert p.workers == 1 or fewer > 0.8 * capacity.rollup.new_site_readings_per_s  # no spare
    assert p.lag_s <= LAG_LIMIT_S
    assert p.rollup_gb_per_worker > 0 and p.disk_gb_per_day > 0


def test_more_meters_never_need_fewer_workers_or_less_disk(capacity: Capacity) -> None:
    plans = [plan(n, 900, capacity) for n in range(100_000, 5_000_001, 100_000)]
    assert all(a.workers <= b.workers for a, b in itertools.pairwise(plans))
    assert all(a.disk_gb_per_day < b.disk_gb_per_day for a, b in itertools.pairwise(plans))


def test_bad_input_is_refused(capacity: Capacity) -> None:
    with pytest.raises(ValueError, match="meters"):
        plan(0, 900, capacity)


def test_a_mistake_in_the_figures_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "capacity.yaml"
    text = (Path(__file__).parents[2] / "config" / "capacity.yaml").read_text(encoding="utf-8")
    path.write_text(text.replace("steady_readings_per_s: 3900", "steady_readings_per_s: -1"))
    with pytest.raises(ConfigError) as err:
        load_capacity(path)
    assert "capacity.yaml" in str(err.value) and "steady_readings_per_s" in str(err.value)


def test_the_cli_prints_the_plan_of_the_whole_city(processes: Processes) -> None:
    done = processes.run_module("collector", "rollup", "--plan", "--meters", "2400000")
    assert done.returncode == 0, done.stderr
    assert "2,400,000 meters" in done.stdout and "rollup_workers:" in done.stdout
    refused = processes.run_module("collector", "rollup", "--plan")
    assert refused.returncode != 0 and "--meters" in refused.stderr
