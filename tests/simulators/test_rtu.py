"""Modbus RTU over a pseudo-terminal pair (Debian socat): the agent's serial path end to end."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from pymodbus.client import ModbusSerialClient
from pymodbus.exceptions import ModbusException
from pymodbus.framer import FramerType

from devstack import free_port
from telemetry.codec import ByteOrder, RegisterType, decode
from telemetry.registry import load_registry
from tests.simulators.conftest import sites_yaml
from tests.support.waiting import wait_until

pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.skipif(shutil.which("socat") is None, reason="socat not installed"),
]


@pytest.fixture
def pty_pair() -> Iterator[tuple[str, str]]:
    proc = subprocess.Popen(
        ["socat", "-d", "-d", "pty,raw,echo=0", "pty,raw,echo=0"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        names: list[str] = []
        deadline = time.monotonic() + 10
        while len(names) < 2 and time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            names += re.findall(r"PTY is (\S+)", line)
        assert len(names) == 2, "socat did not report two ptys"
        yield names[0], names[1]
    finally:
        proc.terminate()
        proc.wait(timeout=5)


def test_rtu_meter_over_pty(serve, tmp_path: Path, pty_pair: tuple[str, str]) -> None:
    sim_end, agent_end = pty_pair
    ports = {"gw": free_port(), "pv": free_port(), "factory": free_port()}
    config = tmp_path / "sites.yaml"
    config.write_text(yaml.safe_dump(sites_yaml(ports, rtu_device=agent_end)), encoding="utf-8")
    registry = load_registry(config)  # the agent's view: an RTU meter on agent_end, unit 5
    meter = next(m for _s, _a, m in registry.meters() if m.id == "elec-rtu")
    proc = serve(
        "--config", str(config), "--meter", "test-apt/elec-rtu",
        "--rtu", f"test-apt/elec-rtu={sim_end}", "--speed", "600",
    )  # fmt: skip
    assert sim_end in proc.ready_line

    client = ModbusSerialClient(
        port=agent_end, framer=FramerType.RTU, baudrate=meter.connection.baud, timeout=1, retries=0
    )
    assert client.connect()
    try:

        def energy() -> float:
            rr = client.read_input_registers(72, count=2, device_id=meter.connection.unit)
            assert not rr.isError(), rr
            return decode(rr.registers, RegisterType.FLOAT32, ByteOrder.ABCD)

        rr = client.read_input_registers(0, count=6, device_id=meter.connection.unit)
        assert not rr.isError(), rr
        volts = [
            decode(rr.registers[i : i + 2], RegisterType.FLOAT32, ByteOrder.ABCD) for i in (0, 2, 4)
        ]
        assert all(220.0 <= v <= 230.0 for v in volts), volts
        first = energy()
        wait_until(lambda: energy() > first, timeout=20, interval=0.3)
        # nobody else is on this line: another unit id gets no answer
        with pytest.raises(ModbusException):
            client.read_input_registers(0, count=2, device_id=9)
    finally:
        client.close()


def test_rtu_meter_without_device_is_skipped_not_fatal(serve, tmp_path: Path) -> None:
    ports = {"gw": free_port(), "pv": free_port(), "factory": free_port()}
    config = tmp_path / "sites.yaml"
    config.write_text(
        yaml.safe_dump(sites_yaml(ports, rtu_device="/dev/ttyUSB9")), encoding="utf-8"
    )
    proc = serve("--config", str(config), "--site", "test-apt")
    assert "meters=5" in proc.ready_line
    wait_until(lambda: any("test-apt/elec-rtu" in line for line in proc.stderr), timeout=5)
