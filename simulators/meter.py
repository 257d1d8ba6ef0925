"""One simulated meter: its load model, its register image and its fault state.

pymodbus calls `action` on every request (after its own address checks) with
the table's register list; the meter fills in the values of this instant
there, or acts out its fault: stays silent, answers late, answers an
exception, or answers garbage.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from pymodbus.constants import ExcCodes
from pymodbus.exceptions import NoSuchIdException
from pymodbus.simulator import DataType, SimData, SimDevice

from simulators.clock import SimClock
from simulators.faults import NO_FAULT, Fault, FaultKind
from simulators.model.state import MeterState
from simulators.registers import TableImage, build_images
from telemetry.registry import Profile, Table

# Meters refresh their measurement registers in cycles (an SDM630 about once a
# second); 50 ms keeps values fresh for any poller and spares re-encoding per request.
REFRESH_S = 0.05
# `glitch`: one answer (the blocks of one poll, read within GLITCH_S) shows every
# counter at value × GLITCH_FACTOR + GLITCH_OFFSET, an impossible jump, then the truth.
GLITCH_S = 0.5
GLITCH_FACTOR = 10.0
GLITCH_OFFSET = 1000.0

_TABLE_OF_FUNCTION = {3: Table.HOLDING, 4: Table.INPUT, 6: Table.HOLDING, 16: Table.HOLDING}


@dataclass(frozen=True, slots=True)
class MeterId:
    site: str
    meter: str

    def __str__(self) -> str:
        return f"{self.site}/{self.meter}"


class SimulatedMeter:
    def __init__(
        self, ident: MeterId, unit: int, profile: Profile, state: MeterState, clock: SimClock
    ) -> None:
        self.ident = ident
        self.unit = unit
        self.profile = profile
        self.state = state
        self.clock = clock
        self.images = build_images(profile)
        self.fault: Fault = NO_FAULT
        self._fault_since = time.monotonic()
        self._frozen: dict[str, float] | None = None
        self._counter_base: dict[str, float] = {}
        self._leaked_m3 = 0.0  # water that earlier `leak` faults added to the volume counter
        self._fault_t = clock.now()  # simulated time the current fault was set
        self._stuck: dict[str, float] | None = None
        self._glitch_armed = False  # `glitch`: the next answer's counters are wrong, once
        self._glitch_until = 0.0  # monotonic end of the answer that shows the glitch
        self._rendered_at: dict[Table, float] = {}
        self.requests = 0

    # -- faults ------------------------------------------------------------
    def set_fault(self, fault: Fault) -> None:
        if fault == self.fault:
            return
        now = self.clock.now()
        if fault.kind is FaultKind.FROZEN:
            self._frozen = self.values(now)
        else:
            self._frozen = None
        self._stuck = self._counters_now(now) if fault.kind is FaultKind.STUCK else None
        self._glitch_armed = fault.kind is FaultKind.GLITCH
        if self.fault.kind is FaultKind.LEAK:  # what the ending leak let through stays counted
            self._leaked_m3 += self.fault.param * (now - self._fault_t) / 3600.0
        if fault.kind is FaultKind.RESET:
            # a replaced meter: every counter starts again from zero, once
            counters = self.state.counters_at(now)
            self._counter_base = dict(counters)
            self._leaked_m3 = 0.0
        self.fault = fault
        self._fault_t = now
        self._fault_since = time.monotonic()
        self._rendered_at.clear()  # the next request shows the new state

    def _counters_now(self, now: float) -> dict[str, float]:
        """The counters as the meter shows them now: a stuck register keeps these."""
        names = self.state.counters_at(now)
        return {k: v for k, v in self.values(now).items() if k in names}

    def answering(self) -> bool:
        kind = self.fault.kind
        if kind is FaultKind.TIMEOUT:
            return False
        if kind is FaultKind.FLAPPING:
            phase = int((time.monotonic() - self._fault_since) / self.fault.param)
            return phase % 2 == 0
        return True

    # -- values ------------------------------------------------------------
    def values(self, t: float) -> dict[str, float]:
        if self._frozen is not None:
            return self._frozen
        values = self.state.snapshot(t)
        for name, base in self._counter_base.items():
            values[name] = max(0.0, values[name] - base)
        if "flow_m3h" in values and "volume_m3" in values:
            leaking = self.fault.param if self.fault.kind is FaultKind.LEAK else 0.0
            values["flow_m3h"] += leaking
            values["volume_m3"] += self._leaked_m3 + leaking * (t - self._fault_t) / 3600.0
        if self._stuck is not None:
            values.update(self._stuck)
        if time.monotonic() < self._glitch_until:
            for name in self.state.counters_at(t):
                values[name] = values[name] * GLITCH_FACTOR + GLITCH_OFFSET
        return values

    # -- pymodbus ----------------------------------------------------------
    async def action(
        self,
        function_code: int,
        start_address: int,
        address: int,
        count: int,
        registers: list[int],
        set_values: list[int] | list[bool] | None,
    ) -> ExcCodes | None:
        self.requests += 1
        if not self.answering():
            raise NoSuchIdException("simulated timeout")  # the server then stays silent
        kind = self.fault.kind
        if kind is FaultKind.SLOW:
            await asyncio.sleep(self.fault.param)
        elif kind is FaultKind.ILLEGAL_ADDRESS:
            return ExcCodes.ILLEGAL_ADDRESS
        elif kind is FaultKind.BUSY:
            return ExcCodes.DEVICE_BUSY
        table = _TABLE_OF_FUNCTION.get(function_code)
        image = self.images.get(table) if table else None
        if image is None:
            return None
        wall = time.monotonic()
        if wall - self._rendered_at.get(image.table, -1.0) < REFRESH_S:
            return None  # the block still holds this cycle's values
        self._rendered_at[image.table] = wall
        if self._glitch_armed:  # every block of this one poll shows it, the next poll not
            self._glitch_armed = False
            self._glitch_until = wall + GLITCH_S
        offset = image.start - start_address
        if kind is FaultKind.GARBAGE:
            image.render_garbage(registers, offset)
        else:
            image.render(self.values(self.clock.now()), registers, offset)
        return None

    def device(self) -> SimDevice:
        return SimDevice(self.unit, simdata=_simdata(self.images), action=self.action)


def _table_data(image: TableImage | None) -> list[SimData]:
    if image is None:
        return [SimData(0, datatype=DataType.INVALID)]
    return [SimData(image.start, values=image.blank(), datatype=DataType.REGISTERS, readonly=True)]


def _simdata(images: dict[Table, TableImage]) -> tuple[list[SimData], ...]:
    bits = [SimData(0, values=[False] * 16, datatype=DataType.BITS, readonly=True)]
    return (
        bits,
        list(bits),
        _table_data(images.get(Table.HOLDING)),
        _table_data(images.get(Table.INPUT)),
    )


async def _silent(*_args: object) -> ExcCodes | None:
    raise NoSuchIdException("no meter at this unit id")


def absent_units_device() -> SimDevice:
    """Unit id 0 is pymodbus's fallback: requests to unit ids nobody has get no answer."""
    return SimDevice(
        0,
        simdata=[SimData(0, count=65536, values=0, datatype=DataType.REGISTERS)],
        action=_silent,
    )
