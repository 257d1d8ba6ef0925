"""`python -m simulators serve` as a real process, read by real Modbus masters."""

from __future__ import annotations

import math
import re
import subprocess

import pytest

from tests.simulators.modbus_client import read, value
from tests.support.waiting import wait_until

pytestmark = pytest.mark.timeout(60)


def mbpoll_floats(port: int, unit: int, ref: int) -> list[float]:
    """mbpoll (Debian) reading two FLOAT32 from input registers; -r is 1-based, -B big-endian words."""
    out = subprocess.run(
        ["mbpoll", "-m", "tcp", "-a", str(unit), "-r", str(ref), "-c", "2", "-t", "3:float",
         "-B", "-1", "-o", "2", "-p", str(port), "127.0.0.1"],
        capture_output=True, text=True, timeout=15, check=True,
    ).stdout  # fmt: skip
    return [float(v) for v in re.findall(r"^\[\d+\]:\s+(\S+)", out, re.MULTILINE)]


def test_mbpoll_reads_plausible_sdm630(serve, sim_config) -> None:
    config, ports = sim_config
    serve("--config", str(config), "--speed", "600", "--seed", "3")
    volts = mbpoll_floats(ports["factory"], 1, 1)  # phase 1 and 2 voltage (addresses 0, 2)
    assert len(volts) == 2
    assert all(220.0 <= v <= 230.0 for v in volts), volts
    first = mbpoll_floats(ports["factory"], 1, 73)[0]  # import energy, address 72
    assert first > 0
    wait_until(lambda: mbpoll_floats(ports["factory"], 1, 73)[0] > first, timeout=20, interval=0.5)


def test_several_units_share_one_port_and_absent_units_are_silent(serve, sim_config) -> None:
    config, ports = sim_config
    serve("--config", str(config))
    gas = read(ports["gw"], 10, 0, 4, table="holding")
    elec = read(ports["gw"], 1, 0, 2)
    assert gas.registers is not None and elec.registers is not None
    assert read(ports["gw"], 99, 0, 2, timeout=0.5).timed_out
    # a table or address the profile does not have is exception 2, as on the device
    assert read(ports["gw"], 1, 1000, 2).exception == 2
    assert read(ports["gw"], 10, 0, 2, table="input").exception == 2


def test_sunspec_constants_and_scaled_values(serve, sim_config) -> None:
    config, ports = sim_config
    serve("--config", str(config), "--start", "2025-06-01T03:00:00Z", "--seed", "1")  # noon KST
    regs = read(ports["pv"], 1, 40000, 4, table="holding").registers
    assert regs is not None
    assert (regs[0] << 16 | regs[1]) == 0x53756E53 and regs[2] == 1 and regs[3] == 65
    model = read(ports["pv"], 1, 40069, 27, table="holding").registers
    assert model is not None and model[0] == 103
    sf = lambda raw: raw - 65536 if raw >= 32768 else raw  # noqa: E731
    volts = model[10] * 10.0 ** sf(model[13])
    watts = sf(model[14]) * 10.0 ** sf(model[15])
    assert 220.0 <= volts <= 230.0
    assert watts > 1000.0  # a clear-sky June noon or a cloudy one: a rooftop array still produces


def test_sigterm_stops_cleanly(serve, sim_config) -> None:
    config, _ = sim_config
    proc = serve("--config", str(config))
    assert proc.stop() == 0
    remaining = []
    while not proc.lines.empty():
        remaining.append(proc.lines.get())
    assert "STOPPED" in remaining


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--meter", "test-apt/nope"], "test-apt/nope"),
        (["--site", "atlantis"], "atlantis"),
        (["--fault", "test-apt/elec=melting"], "melting"),
        (["--start", "yesterday"], "yesterday"),
    ],
)
def test_bad_options_are_named(serve, sim_config, args, needle) -> None:
    config, _ = sim_config
    proc = serve("--config", str(config), *args, ready=False)
    assert proc.proc.wait(timeout=30) == 2
    wait_until(lambda: any(needle in line for line in proc.stderr), timeout=5)


def test_port_taken_is_named(serve, sim_config) -> None:
    config, ports = sim_config
    serve("--config", str(config))
    second = serve("--config", str(config), ready=False)
    assert second.proc.wait(timeout=30) == 2
    taken = [str(p) for p in ports.values()]
    wait_until(
        lambda: any("cannot listen" in ln and any(p in ln for p in taken) for ln in second.stderr),
        timeout=5,
    )


def test_bind_and_port_offset(serve, sim_config) -> None:
    config, ports = sim_config
    proc = serve(
        "--config",
        str(config),
        "--site",
        "test-factory",
        "--port-offset",
        "1",
        "--bind",
        "127.0.0.1",
    )
    assert f"127.0.0.1:{ports['factory'] + 1}" in proc.ready_line
    assert math.isfinite(value(ports["factory"] + 1, 1, 0))
