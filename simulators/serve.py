"""`serve`: real pymodbus servers for the selected meters, with time, load and faults.

One TCP server per distinct host:port (several unit ids behind one port, as an
RS-485-to-TCP gateway), one RTU server per serial device. A ticker advances
every meter's counters along simulated time; a watcher applies the control
file. READY goes to stdout once every server listens.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from pymodbus.framer import FramerType
from pymodbus.server import ModbusSerialServer, ModbusTcpServer

from simulators.clock import SimClock
from simulators.control import ControlFile
from simulators.faults import NO_FAULT, Fault, FaultError
from simulators.meter import MeterId, SimulatedMeter, absent_units_device
from simulators.model.state import MeterState
from simulators.selection import Selected, load_specs
from telemetry.registry import Registry, RtuConnection

log = logging.getLogger("simulators.serve")

TICK_S = 0.25
CONTROL_POLL_S = 0.2


@dataclass
class ServeOptions:
    bind: str | None = None
    port_offset: int = 0
    speed: float = 1.0
    start: float | None = None
    seed: int = 0
    faults: dict[str, Fault] = field(default_factory=dict)
    control: Path | None = None
    rtu: dict[str, str] = field(default_factory=dict)  # SITE/METER -> serial device


@dataclass
class SerialLine:
    device: str
    baud: int = 9600
    parity: str = "N"
    stopbits: int = 1
    bytesize: int = 8
    meters: list[SimulatedMeter] = field(default_factory=list)


class Simulation:
    def __init__(self, registry: Registry, chosen: list[Selected], options: ServeOptions) -> None:
        self.options = options
        self.clock = SimClock.starting(options.start, options.speed)
        specs = load_specs(chosen, options.seed)
        self.meters: dict[str, SimulatedMeter] = {}
        self.tcp: dict[tuple[str, int], list[SimulatedMeter]] = defaultdict(list)
        self.serial: dict[str, SerialLine] = {}
        self.skipped: list[str] = []
        for x in chosen:
            conn = x.meter.connection
            state = MeterState.for_spec(specs[x.key], self.clock.start)
            meter = SimulatedMeter(
                MeterId(x.site.id, x.meter.id),
                conn.unit,
                registry.profile_of(x.meter),
                state,
                self.clock,
            )
            if x.key in options.rtu:
                self._add_serial(options.rtu[x.key], conn, meter)
            elif isinstance(conn, RtuConnection):
                # the config names the agent's end of the line; ours comes from --rtu
                self.skipped.append(x.key)
                continue
            else:
                host = options.bind or conn.host
                self.tcp[(host, conn.port + options.port_offset)].append(meter)
            self.meters[x.key] = meter
        self.control = ControlFile(options.control) if options.control else None
        self.apply_faults({})
        self.servers: list[ModbusTcpServer | ModbusSerialServer] = []

    def _add_serial(self, device: str, conn: object, meter: SimulatedMeter) -> None:
        line = self.serial.get(device)
        if line is None:
            line = SerialLine(device)
            if isinstance(conn, RtuConnection):
                line = SerialLine(device, conn.baud, conn.parity, conn.stopbits, conn.bytesize)
            self.serial[device] = line
        line.meters.append(meter)

    def apply_faults(self, control: dict[str, Fault]) -> None:
        """Control-file entries win; meters it does not name get their --fault (or none)."""
        for key, meter in self.meters.items():
            meter.set_fault(control.get(key, self.options.faults.get(key, NO_FAULT)))

    async def start(self) -> None:
        for (host, port), meters in sorted(self.tcp.items()):
            server = ModbusTcpServer(
                _devices(meters), address=(host, port), ignore_missing_devices=True
            )
            names = ", ".join(str(m.ident) for m in meters)
            await self._serve(server, f"cannot listen on {host}:{port} (meters {names})")
        for line in self.serial.values():
            server = ModbusSerialServer(
                _devices(line.meters),
                framer=FramerType.RTU,
                port=line.device,
                baudrate=line.baud,
                parity=line.parity,
                stopbits=line.stopbits,
                bytesize=line.bytesize,
                ignore_missing_devices=True,
            )
            await self._serve(server, f"cannot open serial device {line.device}")

    async def _serve(self, server: ModbusTcpServer | ModbusSerialServer, failure: str) -> None:
        try:
            await server.serve_forever(background=True)
        except (RuntimeError, OSError) as exc:
            raise ServeError(f"{failure}: {exc}") from exc
        self.servers.append(server)

    def ready_line(self) -> str:
        tcp = ",".join(f"{h}:{p}" for h, p in sorted(self.tcp))
        rtu = ",".join(sorted(self.serial))
        return (
            f"READY meters={len(self.meters)} tcp={tcp or '-'} rtu={rtu or '-'} "
            f"speed={self.clock.speed:g} start={self.clock.now_dt().isoformat(timespec='seconds')}"
        )

    async def tick(self, stop: asyncio.Event) -> None:
        """Advance counters as simulated time runs, so no request waits for a long catch-up."""
        while not stop.is_set():
            now = self.clock.now()
            for meter in self.meters.values():
                meter.state.advance(now)
                await asyncio.sleep(0)
            await _wait(stop, TICK_S)

    def poll_control(self) -> None:
        """Apply the control file if it changed; a broken file is reported and ignored."""
        if self.control is None:
            return
        try:
            faults = self.control.changed()
        except (FaultError, OSError) as exc:
            log.warning("control file ignored: %s", exc)
            return
        if faults is None:
            return
        unknown = sorted(set(faults) - set(self.meters))
        if unknown:
            log.warning("control file: not served here: %s", ", ".join(unknown))
        self.apply_faults(faults)
        log.info("faults: %s", self.fault_summary())

    async def watch_control(self, stop: asyncio.Event) -> None:
        while self.control is not None and not stop.is_set():
            self.poll_control()
            await _wait(stop, CONTROL_POLL_S)

    def fault_summary(self) -> str:
        active = [f"{k}={m.fault}" for k, m in self.meters.items() if m.fault != NO_FAULT]
        return ", ".join(active) or "none"

    async def stop(self) -> None:
        for server in self.servers:
            await server.shutdown()


class ServeError(RuntimeError):
    """A server could not start (port taken, device missing)."""


def _devices(meters: list[SimulatedMeter]) -> list:
    devices = [m.device() for m in meters]
    if all(m.unit != 0 for m in meters):
        devices.append(absent_units_device())
    return devices


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def run(sim: Simulation) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await sim.start()
        if sim.skipped:
            log.warning(
                "not served (RTU meters need --rtu SITE/METER=DEVICE): %s", ", ".join(sim.skipped)
            )
        if not sim.meters:
            raise ServeError("no meters to serve")
        sim.poll_control()
        print(sim.ready_line(), flush=True)
        tasks = [asyncio.create_task(sim.tick(stop)), asyncio.create_task(sim.watch_control(stop))]
        await stop.wait()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        await sim.stop()
    print("STOPPED", flush=True)
