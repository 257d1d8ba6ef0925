"""Edge agent benchmark: meters polled per second, and outbox throughput.

Run: python -m bench.bench_edge_agent [--seconds 6]

Three ways of polling the same five meters (one of each profile) served by
the real simulators (`python -m simulators serve`, pinned to the other core):

- agent:       the agent's own poller (coalesced reads, decoding, plausibility)
- baseline:    the same poller reading one register per request, as weak gateways do
- raw pymodbus: a bare pymodbus loop reading the agent's coalesced blocks, no decoding

The bench process is pinned to one core. Figures are printed with ratios
against the baselines measured in the same run; nothing is asserted.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import typer  # noqa: E402
from pymodbus.client import AsyncModbusTcpClient  # noqa: E402

from devstack import shifted_config  # noqa: E402
from edge_agent.agent import make_buses  # noqa: E402
from edge_agent.metrics import Metrics  # noqa: E402
from edge_agent.outbox import Outbox  # noqa: E402
from edge_agent.planner import Block, Span, profile_spans  # noqa: E402
from edge_agent.poller import MeterPoller, PollPolicy  # noqa: E402
from telemetry.models import Reading, ReadingBatch  # noqa: E402
from telemetry.registry import load_registry  # noqa: E402
from telemetry.registry.profiles import Table  # noqa: E402

CONFIG_TEMPLATE = ROOT / "tests" / "edge_agent" / "configs" / "all_profiles.yaml"
AGENT = "ea-gw"


def pin(core: int) -> None:
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {core})


def start_simulators(config: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulators", "serve", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
        preexec_fn=lambda: pin(1),
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("READY"):
        proc.kill()
        raise SystemExit(f"simulators did not start: {line!r}")
    return proc


def single_register_plan(poller: MeterPoller) -> list[Block]:
    """One request per register: what a gateway that cannot read blocks does."""
    return [
        Block(s.table, (Span(s.table, a, 1),))
        for s in profile_spans(poller.profile)
        for a in range(s.start, s.end)
    ]


class Tally:
    """Polls, requests, wall time and this process's CPU time of one polling mode."""

    def __init__(self) -> None:
        self.polls = 0
        self.requests = 0
        self.wall = 0.0
        self.cpu = 0.0

    def rate(self) -> float:
        return self.polls / self.wall

    def per_cpu_second(self) -> float:
        return self.polls / self.cpu

    def requests_per_poll(self) -> float:
        return self.requests / max(1, self.polls)


async def agent_slice(pollers: list[MeterPoller], seconds: float, tally: Tally) -> None:
    buses = {id(p.bus): p.bus for p in pollers}.values()
    requests = sum(b.requests for b in buses)
    wall, cpu = time.perf_counter(), time.process_time()
    deadline = wall + seconds
    while time.perf_counter() < deadline:
        for poller in pollers:
            await poller.poll_once()
            tally.polls += 1
    tally.wall += time.perf_counter() - wall
    tally.cpu += time.process_time() - cpu
    tally.requests += sum(b.requests for b in buses) - requests


async def raw_slice(
    pollers: list[MeterPoller],
    clients: dict[str, AsyncModbusTcpClient],
    seconds: float,
    tally: Tally,
) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    deadline = wall + seconds
    while time.perf_counter() < deadline:
        for p in pollers:
            client = clients[p.meter.connection.bus]
            for block in p.plan:
                call = (
                    client.read_input_registers
                    if block.table is Table.INPUT
                    else client.read_holding_registers
                )
                response = await call(
                    block.start, count=block.count, device_id=p.meter.connection.unit
                )
                assert not response.isError()
                tally.requests += 1
            tally.polls += 1
    tally.wall += time.perf_counter() - wall
    tally.cpu += time.process_time() - cpu


async def raw_clients(pollers: list[MeterPoller]) -> dict[str, AsyncModbusTcpClient]:
    clients: dict[str, AsyncModbusTcpClient] = {}
    for p in pollers:
        conn = p.meter.connection
        if conn.bus not in clients:
            clients[conn.bus] = AsyncModbusTcpClient(conn.host, port=conn.port, retries=0)
            await clients[conn.bus].connect()
    return clients


def make_pollers(config: Path, sink) -> list[MeterPoller]:
    registry = load_registry(config)
    meters = registry.meters_of(AGENT)
    buses = make_buses(meters, 0.0)
    metrics = Metrics()
    return [
        MeterPoller(m, registry.profile_of(m), buses[m.connection.bus], sink, metrics, PollPolicy())
        for m in meters
    ]


def outbox_throughput(seconds: float, readings: list[Reading]) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        box = Outbox(Path(tmp) / "bench.sqlite", budget_bytes=64 * 1024 * 1024)

        def build(seq: int) -> bytes:
            return ReadingBatch(site="ea-test", agent=AGENT, seq=seq, readings=readings).to_json()

        size = len(build(0))
        n = 0
        deadline = time.perf_counter() + seconds
        start = time.perf_counter()
        while time.perf_counter() < deadline:
            seq, _ = box.append(build)
            box.delete(seq)
            n += 1
        rate = n / (time.perf_counter() - start)
        box.close()
    return rate, size


ROUNDS = 3  # modes alternate in slices, so drift on a shared machine hits them alike


async def run(seconds: float) -> None:
    tallies = {"agent": Tally(), "baseline": Tally(), "raw": Tally()}
    with tempfile.TemporaryDirectory() as tmp:
        config = shifted_config(CONFIG_TEMPLATE, Path(tmp) / "sites.yaml")
        sim = start_simulators(config)
        try:
            readings: list[Reading] = []
            pollers = make_pollers(config, readings.append)
            baseline = make_pollers(config, lambda r: None)
            for p in baseline:
                p.plan = single_register_plan(p)
            clients = await raw_clients(pollers)
            await agent_slice(pollers + baseline, 0.5, Tally())  # warm up connections
            piece = seconds / ROUNDS
            for _ in range(ROUNDS):
                await agent_slice(pollers, piece, tallies["agent"])
                await agent_slice(baseline, piece, tallies["baseline"])
                await raw_slice(pollers, clients, piece, tallies["raw"])
            for client in clients.values():
                client.close()
            for p in pollers + baseline:
                p.bus.close()
        finally:
            sim.send_signal(signal.SIGTERM)
            sim.wait(10)
    sample = readings[-5:]
    outbox_rate, batch_bytes = outbox_throughput(min(seconds, 5.0), sample)
    report(tallies, seconds, outbox_rate, batch_bytes, len(sample))


def report(
    tallies: dict[str, Tally], seconds: float, outbox_rate: float, size: int, n: int
) -> None:
    agent, base, raw = tallies["agent"], tallies["baseline"], tallies["raw"]
    print(
        f"edge agent bench  {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  cpus={os.cpu_count()}  "
        f"bench on core 0, simulators on core 1; {seconds:g} s per mode in {ROUNDS} slices; 5 meters"
    )
    print(f"  {'mode':32} {'meters/s':>9} {'meters per CPU-s':>17} {'requests/meter':>15}")
    for name, t in (
        ("agent (coalesced reads)", agent),
        ("baseline (1 register/request)", base),
        ("raw pymodbus (same blocks)", raw),
    ):
        print(
            f"  {name:32} {t.rate():9.1f} {t.per_cpu_second():17.1f} {t.requests_per_poll():15.1f}"
        )
    print(
        f"  agent / baseline:     {agent.rate() / base.rate():6.2f}x meters/s, "
        f"{agent.per_cpu_second() / base.per_cpu_second():6.2f}x per CPU-second"
    )
    print(
        f"  agent / raw pymodbus: {agent.rate() / raw.rate():6.2f}x meters/s, "
        f"{agent.per_cpu_second() / raw.per_cpu_second():6.2f}x per CPU-second"
    )
    print(
        f"  outbox append+delete: {outbox_rate:8.1f} batches/s "
        f"({n} readings, {size} bytes per batch; WAL, synchronous=FULL)"
    )


def main(
    seconds: Annotated[float, typer.Option(help="measuring time per mode")] = 6.0,
) -> None:
    """Edge agent polling against a naive and a bare baseline (see bench/README.md)."""
    pin(0)
    asyncio.run(run(seconds))


if __name__ == "__main__":
    typer.run(main)
