"""The fleet's main loop: staggered agents, rate limit, progress, final summary."""

from __future__ import annotations

import heapq
import math
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from simulators.clock import SimClock
from simulators.fleet.plan import FleetAgent
from simulators.fleet.pool import ClientPool, Conn
from simulators.model.spec import LoadSpec
from simulators.model.state import DEFAULT_STEP_S, MeterState
from telemetry import __version__
from telemetry.config.cli import stop_on_signals
from telemetry.models import AgentState, AgentStatus, Reading, ReadingBatch, offline_will
from telemetry.topics import readings_topic, status_topic

DRAIN_TIMEOUT_S = 60.0
MAX_UNACKED = 5_000  # batches awaiting PUBACK before the loop waits for the broker


@dataclass
class FleetOptions:
    interval_s: float
    duration_s: float | None
    cycles: int | None
    rate_limit: float | None  # readings per second, None = as fast as possible
    speed: float = 1.0
    start: float | None = None
    connections: int | None = None  # agents share this many connections (None: one each)
    # Seconds of simulated time per integration step, and when the counters started
    # (None: at the start). A fleet that goes on where a fast one publishing the past
    # stopped starts its counters where that one did, with the same step, so they
    # carry on without a reset; it integrates the past once, then in DEFAULT_STEP_S.
    step_s: float = DEFAULT_STEP_S
    counters_from: float | None = None
    # Publish the past instead: from `start` to this simulated time, `interval_s`
    # simulated seconds apart, as fast as `rate_limit` and the broker allow.
    backfill_to: float | None = None
    # Agents' reads of the past spread over this many seconds of each interval (None: all
    # of it); a short spread keeps the past's reads in few hours, so few periods to roll up.
    stagger_s: float | None = None
    # Each agent's retained status refreshed this often while publishing the present, as
    # an edge agent's is (the operators' page counts a status over two minutes old as lost).
    status_interval_s: float = 30.0


@dataclass
class Summary:
    batches: int
    readings: int
    seconds: float
    complete: bool

    @property
    def rate(self) -> float:
        return self.readings / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        return (
            f"SENT batches={self.batches} readings={self.readings} "
            f"seconds={self.seconds:.2f} readings_per_s={self.rate:.0f}"
        )


class FleetAgentRuntime:
    """One agent: its connection, its meters' states and its sequence number."""

    def __init__(
        self, plan: FleetAgent, conn: Conn, clock: SimClock, options: FleetOptions | None = None
    ) -> None:
        self.plan = plan
        self.conn = conn
        self.clock = clock
        self.states = [(m, _state(m.spec, clock.start, options)) for m in plan.meters]
        self.seq = 0
        self.cycles = 0
        self.topic = readings_topic(plan.site, plan.agent)
        self.status_topic = status_topic(plan.site, plan.agent)
        self.status_at = -math.inf  # monotonic time of its last status message

    def batch(self, at: float | None = None) -> ReadingBatch:
        t = self.clock.now() if at is None else at
        ts = datetime.fromtimestamp(t, UTC)
        readings = [
            Reading(meter=m.id, utility=m.utility, ts=ts, values=state.snapshot(t))
            for m, state in self.states
        ]
        batch = ReadingBatch(
            site=self.plan.site, agent=self.plan.agent, seq=self.seq, readings=readings
        )
        self.seq += 1
        return batch

    def say(self, pool: ClientPool, state: AgentState) -> None:
        """Its retained status, now."""
        self.status_at = time.monotonic()
        pool.publish(self.conn, self.status_topic, self.status(state), retain=True)

    def status(self, state: AgentState) -> bytes:
        return AgentStatus(
            state=state,
            ts=datetime.now(UTC),
            version=f"simulators-fleet/{__version__}",
            meters=len(self.states),
            outbox_depth=0,
            dropped_batches=0,
        ).to_json()


def _state(spec: LoadSpec, start: float, options: FleetOptions | None) -> MeterState:
    if options is None:
        return MeterState.for_spec(spec, start)
    began = start if options.counters_from is None else min(options.counters_from, start)
    state = MeterState.for_spec(spec, began, options.step_s)
    if began < start:
        state.advance(start)
        state.step_s = DEFAULT_STEP_S
    return state


class TokenBucket:
    """At most `rate` readings per second on average, bursts up to one second's worth."""

    def __init__(self, rate: float | None) -> None:
        self.rate = rate
        self.tokens = rate or 0.0
        self.stamp = time.monotonic()

    def wait_time(self, amount: int) -> float:
        if self.rate is None:
            return 0.0
        now = time.monotonic()
        self.tokens = min(max(self.rate, amount), self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= amount else (amount - self.tokens) / self.rate

    def take(self, amount: int) -> None:
        if self.rate is not None:
            self.tokens -= amount


def run_fleet(
    fleet: list[FleetAgent], pool: ClientPool, options: FleetOptions, console: Console
) -> Summary:
    clock = SimClock.starting(options.start, options.speed)
    conns = _connections(fleet, pool, options.connections)
    agents = [
        FleetAgentRuntime(plan, conns[i % len(conns)], clock, options)
        for i, plan in enumerate(fleet)
    ]
    pool.connect_all()
    for a in agents:
        a.say(pool, AgentState.ONLINE)
    stop = stop_on_signals()
    began = time.monotonic()
    if options.backfill_to is not None:
        summary = _backfill_loop(agents, pool, options, console, stop)
    else:
        summary = _publish_loop(agents, pool, options, console, stop, began)
    for a in agents:  # a clean exit says offline itself (the will is for crashes)
        a.say(pool, AgentState.OFFLINE)
    complete = pool.drain(DRAIN_TIMEOUT_S)
    pool.close()
    return Summary(summary[0], summary[1], time.monotonic() - began, complete)


def _connections(fleet: list[FleetAgent], pool: ClientPool, shared: int | None) -> list[Conn]:
    """One connection per agent (its own last will), or `shared` connections that
    agents take in turn: one process cannot hold the city's ~600,000 sockets
    (ephemeral ports, file descriptors), and a real concentrator gateway
    publishes for many meters too. A shared connection's will names its first agent."""
    if shared is None or shared >= len(fleet):
        return [pool.add(p.agent, status_topic(p.site, p.agent), offline_will()) for p in fleet]
    return [
        pool.add(f"fleet-conn-{k}", status_topic(p.site, p.agent), offline_will())
        for k, p in enumerate(fleet[:shared])
    ]


def _publish_loop(
    agents: list[FleetAgentRuntime],
    pool: ClientPool,
    options: FleetOptions,
    console: Console,
    stop: threading.Event,
    began: float,
) -> tuple[int, int]:
    # each agent publishes every interval, staggered over the first interval
    queue = [(began + options.interval_s * i / len(agents), i) for i in range(len(agents))]
    heapq.heapify(queue)
    bucket = TokenBucket(options.rate_limit)
    total_cycles = options.cycles * len(agents) if options.cycles else None
    sent_batches = 0
    with Progress(
        TextColumn("[bold]fleet[/]"),
        BarColumn(),
        TextColumn("{task.fields[batches]} batches"),
        TextColumn("{task.fields[rate]:>8.0f} readings/s acknowledged"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        # the bar follows batches with --cycles, seconds with --duration
        task = progress.add_task(
            "publish", total=total_cycles or options.duration_s, rate=0.0, batches=0
        )
        last_update = 0.0
        while queue and not stop.is_set():
            now = time.monotonic()
            if options.duration_s is not None and now - began >= options.duration_s:
                break
            due, index = queue[0]
            agent = agents[index]
            readings = len(agent.states)
            delay = max(due - now, bucket.wait_time(readings))
            if delay > 0:
                pool.service(min(delay, 0.05))
            else:
                heapq.heappop(queue)
                bucket.take(readings)
                pool.publish(agent.conn, agent.topic, agent.batch().to_json(), readings)
                if now - agent.status_at >= options.status_interval_s:
                    agent.say(pool, AgentState.ONLINE)
                sent_batches += 1
                agent.cycles += 1
                if options.cycles is None or agent.cycles < options.cycles:
                    heapq.heappush(queue, (max(due + options.interval_s, now), index))
                if sent_batches % 50 == 0:
                    pool.service(0)  # read acknowledgements as we go
                while pool.inflight() > MAX_UNACKED:  # a slow broker slows us, not our memory
                    pool.service(0.01)
            if now - last_update >= 0.5:
                last_update = now
                elapsed = max(now - began, 1e-9)
                done = sent_batches if total_cycles else min(now - began, options.duration_s or 0)
                progress.update(
                    task, completed=done, rate=pool.acked_readings / elapsed, batches=sent_batches
                )
        pool.drain(DRAIN_TIMEOUT_S)
        elapsed = max(time.monotonic() - began, 1e-9)
        progress.update(
            task,
            completed=sent_batches if total_cycles else task_total(options, elapsed),
            rate=pool.acked_readings / elapsed,
        )
    return pool.acked_messages, pool.acked_readings


def _backfill_loop(
    agents: list[FleetAgentRuntime],
    pool: ClientPool,
    options: FleetOptions,
    console: Console,
    stop: threading.Event,
) -> tuple[int, int]:
    """The past in simulated-time order, each agent every `interval_s` simulated seconds
    (staggered), as fast as allowed: a loaded box publishes it slower, never sparser."""
    start = agents[0].clock.start
    end = options.backfill_to or start
    step = options.interval_s
    spread = min(step, options.stagger_s or step)
    queue = [(start + spread * i / len(agents), i) for i in range(len(agents))]
    heapq.heapify(queue)
    bucket = TokenBucket(options.rate_limit)
    sent, last_said = 0, time.monotonic()
    while queue and queue[0][0] < end and not stop.is_set():
        at, index = queue[0]
        agent = agents[index]
        readings = len(agent.states)
        wait = bucket.wait_time(readings)
        if wait > 0:
            pool.service(min(wait, 0.05))
            continue
        heapq.heappop(queue)
        bucket.take(readings)
        pool.publish(agent.conn, agent.topic, agent.batch(at).to_json(), readings)
        heapq.heappush(queue, (at + step, index))
        sent += 1
        if sent % 50 == 0:
            pool.service(0)
        while pool.inflight() > MAX_UNACKED:
            pool.service(0.01)
        if time.monotonic() - last_said >= 10:
            last_said = time.monotonic()
            reached = datetime.fromtimestamp(at, UTC).isoformat(timespec="minutes")
            console.print(f"fleet backfill: {sent} batches, simulated time {reached}")
    pool.drain(DRAIN_TIMEOUT_S)
    return pool.acked_messages, pool.acked_readings


def task_total(options: FleetOptions, elapsed: float) -> float:
    return min(elapsed, options.duration_s or elapsed)
