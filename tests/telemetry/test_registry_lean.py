"""A big sites file loaded through a child process equals the one loaded in place."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from simulators.fleet.plan import plan_fleet
from simulators.fleet.registry_file import write_sites_file
from telemetry.registry import ConfigError, Registry, lean, load_registry, load_registry_lean
from tests.support.processes import Processes


@pytest.fixture
def small_threshold(monkeypatch: pytest.MonkeyPatch, processes: Processes) -> None:
    """Every file goes through the child (a multiprocessing one: hence `processes`)."""
    monkeypatch.setattr(lean, "LEAN_ABOVE_BYTES", 1)


def test_the_lean_registry_equals_the_one_loaded_in_place(
    tmp_path: Path, small_threshold, monkeypatch: pytest.MonkeyPatch
) -> None:
    sites = tmp_path / "sites.yaml"
    write_sites_file(sites, plan_fleet(300, 4, 3), "lean")

    def marked(path: Path) -> Registry:  # which process loaded it
        registry = load_registry(path)
        registry.loaded_by = os.getpid()  # type: ignore[attr-defined]
        return registry

    monkeypatch.setattr(lean, "load_registry", marked)
    here, there = load_registry(sites), load_registry_lean(sites)
    assert there.loaded_by != os.getpid()
    assert there.sites == here.sites
    assert [there.tags(s) for s in here.sites] == [here.tags(s) for s in here.sites]
    assert there.agents == here.agents
    assert there.source == here.source


def test_a_broken_file_is_named_with_its_line(tmp_path: Path, small_threshold) -> None:
    sites = tmp_path / "sites.yaml"
    write_sites_file(sites, plan_fleet(20, 2, 3), "lean")
    text = sites.read_text().replace("district: ", "district: 99", 1)
    sites.write_text(text)
    with pytest.raises(ConfigError) as lean_error:
        load_registry_lean(sites)
    with pytest.raises(ConfigError) as here_error:
        load_registry(sites)
    assert str(lean_error.value) == str(here_error.value)
    assert f"{sites.name}:" in str(lean_error.value)


@pytest.mark.parametrize("through_child", [True, False])
def test_meanwhile_runs_while_the_child_parses_or_before_a_load_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, processes: Processes, through_child: bool
) -> None:
    """The rollup reads its meter states in `meanwhile` (collector/rollup/snapshot.py):
    in the parent, once, whichever way the registry loads."""
    monkeypatch.setattr(lean, "LEAN_ABOVE_BYTES", 1 if through_child else 2**40)
    sites = tmp_path / "sites.yaml"
    write_sites_file(sites, plan_fleet(30, 2, 3), "lean")
    ran: list[int] = []
    registry = load_registry_lean(sites, lambda: ran.append(os.getpid()))
    assert ran == [os.getpid()]
    assert registry.sites == load_registry(sites).sites
