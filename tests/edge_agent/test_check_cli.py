"""`python -m edge_agent --check` and the CLI's error messages."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from devstack import shifted_config
from telemetry.paths import config_dir
from telemetry.registry import load_registry
from tests.edge_agent.procs import start_simulators
from tests.support.processes import Processes
from tests.support.waiting import true_within

pytestmark = pytest.mark.timeout(90)

DEMO = config_dir() / "sites" / "demo.yaml"


def _run(processes: Processes, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    # Two extra attempts per request: a loaded test machine may answer late once;
    # a meter that is really silent still fails.
    return processes.run_module("edge_agent", *args, env={"ENERGY_RETRIES": "2"}, timeout=timeout)


def test_check_on_the_demo_config_passes_then_fails_with_a_silent_meter(
    tmp_path: Path, procs, processes: Processes
) -> None:
    config = shifted_config(DEMO, tmp_path / "demo.yaml")
    meters = load_registry(config).meters()
    sim = start_simulators(config, tmp_path / "sim.log", "--control", str(tmp_path / "faults.json"))
    procs.append(sim)

    ok = _run(processes, "--check", "--config", str(config))
    print(ok.stdout)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert f"{len(meters)} of {len(meters)} meters OK" in ok.stdout
    for site, agent, meter in meters:
        assert meter.id in ok.stdout and f"{site.id}/{agent.id}" in ok.stdout

    from simulators.control import write_faults

    write_faults(tmp_path / "faults.json", {"hanam-ic/pv-roof": "timeout"})
    assert "pv-roof=timeout" in _wait_for(sim, "pv-roof=timeout"), sim.text()
    bad = _run(processes, "--check", "--config", str(config), "--agent", "hanam-gw-b")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "1 of 2 meters OK, 1 failing" in bad.stdout, bad.stdout
    assert "timeout" in bad.stdout


def _wait_for(proc, text: str) -> str:
    true_within(lambda: text in proc.text(), 10)
    return proc.text()


def test_unknown_agent_is_named_with_the_known_ones(processes: Processes) -> None:
    result = _run(processes, "--config", str(DEMO), "--agent", "no-such-agent")
    assert result.returncode == 2
    assert "no agent 'no-such-agent'" in result.stderr and "hanam-gw-a" in result.stderr


def test_broken_config_error_names_file_and_line(tmp_path: Path, processes: Processes) -> None:
    text = DEMO.read_text(encoding="utf-8").replace("profile: gw_gas_pulse_v1", "profile: nope", 1)
    broken = tmp_path / "broken.yaml"
    broken.write_text(text, encoding="utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "profile: nope" in row)
    result = _run(processes, "--config", str(broken), "--agent", "hanam-gw-a")
    assert result.returncode == 2
    assert f"broken.yaml:{line}" in result.stderr and "unknown profile 'nope'" in result.stderr


def test_agent_is_required_to_run(processes: Processes) -> None:
    result = _run(processes, "--config", str(DEMO))
    assert result.returncode == 2 and "--agent" in result.stderr


def test_bad_mqtt_url_is_refused_clearly(processes: Processes) -> None:
    result = _run(
        processes, "--config", str(DEMO), "--agent", "hanam-gw-a", "--mqtt-url", "http://x"
    )
    assert result.returncode == 2 and "scheme must be mqtt:// or mqtts://" in result.stderr


def test_an_outbox_that_cannot_be_created_is_named(tmp_path: Path, processes: Processes) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = _run(
        processes,
        "--config",
        str(DEMO),
        "--agent",
        "hanam-gw-a",
        "--outbox",
        str(blocker / "o.sqlite"),
    )
    assert result.returncode == 2
    assert "cannot start" in result.stderr and str(blocker) in result.stderr
