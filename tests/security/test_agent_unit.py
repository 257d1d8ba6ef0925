"""deploy/systemd/energy-edge-agent@.service: unprivileged, secrets from files, outbox kept."""

from __future__ import annotations

import configparser
import shutil

import pytest

from telemetry.paths import PROJECT_ROOT
from tests.support.processes import Processes

UNIT = PROJECT_ROOT / "deploy" / "systemd" / "energy-edge-agent@.service"


def _unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read_string(UNIT.read_text())
    return parser


def test_agent_runs_unprivileged_and_hardened() -> None:
    service = _unit()["Service"]
    assert service["User"] == "energy" and service["User"] != "root"
    for key in ("NoNewPrivileges", "ProtectHome", "PrivateTmp"):
        assert service[key] == "true"
    assert service["ProtectSystem"] == "strict"


def test_agent_id_settings_and_outbox() -> None:
    unit = _unit()
    service = unit["Service"]
    assert "--agent %i" in service["ExecStart"]
    state = service["StateDirectory"]
    assert state == "energy-edge-agent/%i"
    assert f"--outbox /var/lib/{state}/outbox.sqlite" in service["ExecStart"]
    # Secrets come from root-managed env files, never from the unit itself.
    assert "PASSWORD=" not in UNIT.read_text()
    assert service["Restart"] == "always"
    assert unit["Unit"]["StartLimitIntervalSec"] == "0"
    # The start-up check logs the meter table but never keeps the agent down.
    assert service["ExecStartPre"].startswith("-") and "--check" in service["ExecStartPre"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_accepts_the_unit(tmp_path, processes: Processes) -> None:  # type: ignore[no-untyped-def]
    unit = tmp_path / "energy-edge-agent@.service"
    unit.write_text(UNIT.read_text())
    done = processes.run(["systemd-analyze", "verify", str(unit)], timeout=60)
    # The venv path does not exist on a test machine; anything else is a unit error.
    problems = [line for line in done.stderr.splitlines() if "is not executable" not in line]
    assert problems == []
