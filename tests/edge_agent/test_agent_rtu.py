"""Modbus RTU end to end: simulators on one end of a socat pty pair, the agent on the other."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from devstack import shifted_config
from telemetry.models import Quality
from tests.edge_agent.procs import CONFIGS, Subscriber, dump, start_agent, start_simulators
from tests.support.waiting import true_within

pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.skipif(
        shutil.which("socat") is None, reason="socat is not installed (apt-get install socat)"
    ),
]

SITE, AGENT = "ea-rtu", "ea-rtu-gw"


@pytest.fixture
def pty_pair(tmp_path: Path):
    agent_end, meter_end = tmp_path / "ttyAgent", tmp_path / "ttyMeters"
    proc = subprocess.Popen(
        [
            "socat",
            "-d",
            "-d",
            f"pty,raw,echo=0,link={agent_end}",
            f"pty,raw,echo=0,link={meter_end}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert true_within(lambda: agent_end.exists() and meter_end.exists(), 10), (
            "socat made no ptys"
        )
        yield agent_end, meter_end
    finally:
        proc.terminate()
        proc.wait(5)


def test_rtu_meters_over_a_pty_pair(tmp_path: Path, broker, procs, pty_pair) -> None:
    agent_end, meter_end = pty_pair
    config = shifted_config(
        CONFIGS / "rtu.yaml", tmp_path / "sites.yaml", RTU_DEVICE=str(agent_end)
    )
    rtu = [a for m in ("elec-rtu", "gas-rtu") for a in ("--rtu", f"{SITE}/{m}={meter_end}")]
    sub = Subscriber(broker.host, broker.port, SITE, AGENT)
    try:
        procs.append(start_simulators(config, tmp_path / "sim.log", *rtu))
        procs.append(
            start_agent(
                config, AGENT, broker.url, tmp_path / "outbox.sqlite", tmp_path / "agent.log"
            )
        )

        def both_three_times() -> bool:
            meters = [r.meter for r in sub.readings()]
            return meters.count("elec-rtu") >= 3 and meters.count("gas-rtu") >= 3

        assert true_within(both_three_times, 30), dump(*procs)
        readings = sub.readings()
        assert all(r.quality is Quality.GOOD for r in readings)
        elec = [r for r in readings if r.meter == "elec-rtu"]
        assert len(elec[-1].values) == 16 and 100 < elec[-1].values["voltage_l1_v"] < 300
        gas = [r for r in readings if r.meter == "gas-rtu"]
        assert set(gas[-1].values) == {"volume_m3", "flow_m3h"}
    finally:
        sub.close()
