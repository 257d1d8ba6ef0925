"""Every fault mode, switched through the control file and observed from a Modbus client."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from devstack import free_port
from simulators.control import write_faults
from telemetry.codec import ByteOrder, RegisterType, decode
from tests.simulators.conftest import ServeProcess, sites_yaml
from tests.simulators.modbus_client import read
from tests.support.waiting import wait_until

pytestmark = pytest.mark.timeout(60)

ELEC = "test-apt/elec"
GAS = "test-apt/gas"


@dataclass
class Running:
    control: Path
    ports: dict[str, int]
    proc: ServeProcess

    def faults(self, mapping: dict[str, str]) -> None:
        """Write the control file and wait until the simulator has applied it."""
        seen = self._applied()
        write_faults(self.control, mapping)
        wait_until(lambda: self._applied() > seen, 15)

    def _applied(self) -> int:
        return sum(1 for line in list(self.proc.stderr) if '"msg": "faults:' in line)


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    tmp = tmp_path_factory.mktemp("faults")
    ports = {"gw": free_port(), "pv": free_port(), "factory": free_port()}
    config = tmp / "sites.yaml"
    config.write_text(yaml.safe_dump(sites_yaml(ports), allow_unicode=True), encoding="utf-8")
    control = tmp / "control.json"
    write_faults(control, {})
    proc = ServeProcess(
        ["--config", str(config), "--site", "test-apt", "--control", str(control),
         "--speed", "600", "--seed", "7"]
    )  # fmt: skip
    try:
        proc.wait_ready()
        yield Running(control, ports, proc)
    finally:
        proc.stop()


@pytest.fixture
def sim(running: Running) -> Iterator[Running]:
    yield running
    running.faults({})  # each test leaves the meters healthy


def energy(sim: Running, **kw) -> float | None:
    answer = read(sim.ports["gw"], 1, 72, 2, **kw)
    if answer.registers is None:
        return None
    return decode(answer.registers, RegisterType.FLOAT32, ByteOrder.ABCD)


def test_timeout_never_answers_and_other_units_still_do(sim: Running) -> None:
    sim.faults({ELEC: "timeout"})
    wait_until(lambda: read(sim.ports["gw"], 1, 0, 2, timeout=0.5).timed_out, 15)
    for _ in range(3):
        assert read(sim.ports["gw"], 1, 0, 2, timeout=0.5).timed_out
        assert read(sim.ports["gw"], 10, 0, 4, table="holding").registers is not None
    sim.faults({ELEC: "none"})
    wait_until(lambda: read(sim.ports["gw"], 1, 0, 2).registers is not None, 15)


def test_slow_answers_after_the_delay(sim: Running) -> None:
    sim.faults({ELEC: "slow:1.5"})
    # an impatient master gives up; a patient one gets the answer
    wait_until(lambda: read(sim.ports["gw"], 1, 0, 2, timeout=0.5).timed_out, 15)
    answer = read(sim.ports["gw"], 1, 0, 2, timeout=5.0)
    assert answer.registers is not None
    assert 220.0 <= decode(answer.registers, RegisterType.FLOAT32, ByteOrder.ABCD) <= 230.0


@pytest.mark.parametrize(("kind", "code"), [("illegal-address", 2), ("busy", 6)])
def test_exceptions(sim: Running, kind: str, code: int) -> None:
    sim.faults({ELEC: kind})
    wait_until(lambda: read(sim.ports["gw"], 1, 0, 2).exception == code, 15)
    assert read(sim.ports["gw"], 1, 72, 2).exception == code
    assert read(sim.ports["gw"], 11, 100, 4, table="holding").registers is not None


def test_garbage_floats_and_out_of_range_integers(sim: Running) -> None:
    sim.faults({ELEC: "garbage", GAS: "garbage"})

    def floats() -> list[float] | None:
        regs = read(sim.ports["gw"], 1, 0, 6).registers
        if regs is None:
            return None
        vals = [decode(regs[i : i + 2], RegisterType.FLOAT32, ByteOrder.ABCD) for i in (0, 2, 4)]
        return vals if not any(math.isfinite(v) for v in vals) else None

    vals = wait_until(floats, 15)
    assert any(math.isnan(v) for v in vals) and any(math.isinf(v) for v in vals)
    gas = read(sim.ports["gw"], 10, 0, 4, table="holding").registers
    assert gas is not None
    assert decode(gas[0:2], RegisterType.UINT32, ByteOrder.CDAB) == 2**32 - 1
    assert decode(gas[2:4], RegisterType.INT32, ByteOrder.BADC) == -(2**31)


def test_reset_restarts_counters_once(sim: Running) -> None:
    before = energy(sim)
    assert before is not None and before > 100.0
    sim.faults({ELEC: "reset"})
    after = wait_until(lambda: (e := energy(sim)) is not None and e < before / 10 and e, 15)
    # the new meter counts on from zero (simulated time runs 600x)
    wait_until(lambda: (e := energy(sim)) is not None and e > after, 15)
    # clearing the fault keeps the replaced meter: no jump back to the old total
    sim.faults({ELEC: "none"})
    later = energy(sim)
    assert later is not None and later < before / 10


def test_frozen_values_stop_changing(sim: Running) -> None:
    sim.faults({ELEC: "frozen"})
    first = read(sim.ports["gw"], 1, 0, 76).registers
    assert first is not None
    # at 600x, a second of wall time is ten simulated minutes: a live meter would move
    time.sleep(1.0)
    assert read(sim.ports["gw"], 1, 0, 76).registers == first
    sim.faults({ELEC: "none"})
    wait_until(lambda: read(sim.ports["gw"], 1, 0, 76).registers != first, 15)


def test_flapping_alternates(sim: Running) -> None:
    sim.faults({ELEC: "flapping:0.7"})
    seen: set[bool] = set()

    def both() -> bool:
        seen.add(read(sim.ports["gw"], 1, 0, 2, timeout=0.3).registers is not None)
        return seen == {True, False}

    wait_until(both, timeout=20, interval=0.1)


def test_bad_control_file_is_reported_and_ignored(sim: Running) -> None:
    sim.faults({ELEC: "busy"})
    sim.control.write_text('{"faults": {"test-apt/elec": "melting"}}', encoding="utf-8")
    wait_until(lambda: any("melting" in s for s in sim.proc.stderr), 15)
    # the last good faults stay in force
    assert read(sim.ports["gw"], 1, 0, 2).exception == 6


WATER = "test-apt/water"


def water(sim: Running) -> tuple[float, float] | None:
    """(volume m³, flow m³/h) of the water meter (gw_water_mbus_v1: 100-103, 104)."""
    answer = read(sim.ports["gw"], 11, 100, 5, table="holding")
    if answer.registers is None:
        return None
    volume = decode(answer.registers[0:4], RegisterType.UINT64, ByteOrder.GHEFCDAB) * 0.001
    flow = decode(answer.registers[4:5], RegisterType.UINT16, ByteOrder.DCBA) * 0.01
    return volume, flow


def test_leak_adds_its_flow_and_keeps_its_volume(sim: Running) -> None:
    healthy = water(sim)
    assert healthy is not None and healthy[1] < 100.0
    sim.faults({WATER: "leak:100"})
    leaking = wait_until(lambda: (w := water(sim)) is not None and w[1] >= 100.0 and w, 15)
    # at 600x a wall second is ten simulated minutes: about 16 m³ at 100 m³/h
    wait_until(lambda: (w := water(sim)) is not None and w[0] > leaking[0] + 5.0, 15)
    during = water(sim)
    sim.faults({WATER: "none"})
    after = water(sim)
    assert during and after and after[1] < 100.0
    assert after[0] >= during[0]  # what leaked stays counted: no counter going back


def test_stuck_counter_keeps_its_value_while_gauges_move(sim: Running) -> None:
    sim.faults({ELEC: "stuck"})
    first, registers = energy(sim), read(sim.ports["gw"], 1, 0, 70).registers
    time.sleep(1.0)  # ten simulated minutes at 600x
    assert energy(sim) == first
    assert read(sim.ports["gw"], 1, 0, 70).registers != registers  # power, currents move on
    sim.faults({ELEC: "none"})
    wait_until(lambda: (e := energy(sim)) is not None and first is not None and e > first, 15)


def test_glitch_shows_one_impossible_count_then_the_truth(sim: Running) -> None:
    before = energy(sim)
    sim.faults({ELEC: "glitch"})
    glitched = energy(sim)
    time.sleep(0.6)  # past the one answer that shows it
    after = energy(sim)
    assert before is not None and glitched is not None and after is not None
    # The true count at the glitch lies between the readings around it (float32: a tolerance).
    assert 10 * before + 1000 <= glitched * (1 + 1e-6)
    assert glitched <= (10 * after + 1000) * (1 + 1e-6)
    assert before <= after < glitched / 5  # back to the true count, which moved on
    time.sleep(0.6)
    again = energy(sim)
    assert again is not None and again < glitched / 5  # once: the fault stays, shows no more
