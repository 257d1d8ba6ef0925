"""One meter: its read plan, one poll, and its schedule with backoff.

A poll reads every block of the plan (retrying timeouts, lost connections,
garbage and busy answers), decodes and judges the values and hands one
`Reading` to the sink. Nothing a meter does can stop its loop or delay
another meter beyond the bus they share.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from edge_agent.bus import Bus, ReadError
from edge_agent.decoding import decode_profile, register_map
from edge_agent.error_kinds import RETRYABLE, ErrorKind
from edge_agent.metrics import Metrics
from edge_agent.planner import Block, plan_reads, split
from edge_agent.plausibility import CounterTracker, Verdict, judge
from telemetry import clock
from telemetry.counters import register_wraps
from telemetry.models import Quality, Reading
from telemetry.registry.profiles import Profile
from telemetry.registry.sites import Meter

log = logging.getLogger("edge_agent.poller")


@dataclass
class PollPolicy:
    retries: int = 1  # extra attempts per request
    retry_pause_s: float = 0.05
    backoff_max_s: float = 60.0
    device_cap: int | None = None  # per-device register cap below the profile's
    coalesced: bool = True


@dataclass
class Health:
    failing: bool = False
    consecutive_failures: int = 0
    last_error: str | None = None
    last_error_at: float | None = None
    last_ok_at: float | None = None
    polls: int = 0
    problems: list[str] = field(default_factory=list)
    counter_events: int = 0  # glitches, spikes, resets the last reading settled


class PollFailed(Exception):
    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class MeterPoller:
    def __init__(
        self,
        meter: Meter,
        profile: Profile,
        bus: Bus,
        sink: Callable[[Reading], None],
        metrics: Metrics,
        policy: PollPolicy | None = None,
        on_error: Callable[[str], None] = lambda _message: None,
    ) -> None:
        self.meter = meter
        self.profile = profile
        self.bus = bus
        self.sink = sink
        self.metrics = metrics
        self.policy = policy or PollPolicy()
        self._coalesced = plan_reads(profile, self.policy.device_cap, self.policy.coalesced)
        self.plan: list[Block] = list(self._coalesced)
        self.counters = CounterTracker(register_wraps(profile))
        self.health = Health()
        self.on_error = on_error
        metrics.interval_seconds.labels(meter.id).set(meter.poll_interval_s)
        metrics.failing.labels(meter.id).set(0)

    # ---- one poll -------------------------------------------------------

    async def poll_once(self) -> Reading | None:
        """Read, decode and judge; the reading (also given to the sink) or None."""
        blocks, first_answer = await self._read_all()
        ts = datetime.fromtimestamp(first_answer, UTC)
        decoded = decode_profile(self.profile, register_map(blocks))
        verdict = judge(self.meter.utility, decoded.values, self.counters, int(first_answer * 1000))
        problems = list(verdict.problems)
        if decoded.unread:
            problems.append(f"not read: {', '.join(decoded.unread)}")
        self._count_verdict(verdict)
        if not verdict.values:
            raise PollFailed(ErrorKind.NO_VALUES, "; ".join(problems) or "no field could be read")
        reading = Reading(
            meter=self.meter.id,
            utility=self.meter.utility,
            ts=ts,
            values=verdict.values,
            quality=verdict.quality,
        )
        self.health.problems = problems
        self.health.counter_events = len(verdict.counter_events)
        self.sink(reading)
        return reading

    def _count_verdict(self, verdict: Verdict) -> None:
        for kind, names in (
            (ErrorKind.NONFINITE, verdict.nonfinite),
            (ErrorKind.OUT_OF_RANGE, verdict.out_of_range),
            (ErrorKind.COUNTER_RESET, verdict.counter_resets),
            (ErrorKind.COUNTER_GLITCH, verdict.counter_glitches),
        ):
            if names:
                self.metrics.errors.labels(self.meter.id, kind).inc()

    async def _read_all(self) -> tuple[list[tuple[Block, list[int]]], float]:
        """Every block of the plan; exception 2 splits a block (remembered) and reads the halves."""
        done: list[tuple[Block, list[int]]] = []
        first_answer: float | None = None
        queue = list(self.plan)
        while queue:
            block = queue.pop(0)
            try:
                registers = await self._read_block(block)
            except ReadError as exc:
                if exc.kind is not ErrorKind.ILLEGAL_ADDRESS:
                    raise PollFailed(exc.kind, f"{_where(block)}: {exc}") from None
                halves = self._split(block)
                if halves is None:
                    self.metrics.errors.labels(self.meter.id, ErrorKind.ILLEGAL_ADDRESS).inc()
                    continue  # a single value the device refuses: skip it this cycle
                queue[:0] = halves
                continue
            first_answer = first_answer or clock.now()
            done.append((block, registers))
        if not done:
            # Splitting gained nothing: the device refuses everything (a fault, a wrong
            # unit id). Start again from the coalesced plan once it answers.
            self.plan = list(self._coalesced)
            raise PollFailed(
                ErrorKind.ILLEGAL_ADDRESS, "the device refused every register of the plan"
            )
        return done, first_answer or clock.now()

    def _split(self, block: Block) -> list[Block] | None:
        halves = split(block)
        if len(halves) == 1:
            return None
        index = self.plan.index(block) if block in self.plan else None
        if index is not None:
            self.plan[index : index + 1] = halves
        log.info(
            "illegal address: splitting the request",
            extra={
                "meter": self.meter.id,
                "block": _where(block),
                "into": [_where(h) for h in halves],
            },
        )
        return halves

    async def _read_block(self, block: Block) -> list[int]:
        conn = self.meter.connection
        attempt = 0
        while True:
            self.metrics.requests.labels(self.meter.id).inc()
            try:
                return await self.bus.read(
                    block.table, block.start, block.count, conn.unit, conn.timeout_s
                )
            except ReadError as exc:
                if exc.kind not in RETRYABLE or attempt >= self.policy.retries:
                    raise
                attempt += 1
                await asyncio.sleep(self.policy.retry_pause_s * 2 ** (attempt - 1))

    # ---- schedule -------------------------------------------------------

    async def run(self, start_offset_s: float = 0.0) -> None:
        """Poll forever on the meter's own schedule; never raises (except cancellation)."""
        loop = asyncio.get_running_loop()
        await asyncio.sleep(start_offset_s)
        interval = self.meter.poll_interval_s
        due = loop.time()
        while True:
            ok = await self.safe_poll()
            now = loop.time()
            due = _next_tick(due, interval, now) if ok else now + self._backoff()
            await asyncio.sleep(max(0.0, due - loop.time()))

    def _backoff(self) -> float:
        failures = self.health.consecutive_failures
        return min(
            self.meter.poll_interval_s * 2 ** (failures - 1),
            max(self.policy.backoff_max_s, self.meter.poll_interval_s),
        )

    async def safe_poll(self) -> bool:
        """One poll with every error caught, counted and logged; True when the meter answered."""
        started = time.monotonic()
        meter = self.meter.id
        try:
            reading = await self.poll_once()
        except asyncio.CancelledError:
            raise
        except PollFailed as exc:
            self._failed(exc.kind, str(exc))
            return False
        except Exception as exc:  # a bug must not stop the meter's loop
            log.exception("unexpected error polling", extra={"meter": meter})
            self._failed(ErrorKind.INTERNAL, f"{type(exc).__name__}: {exc}")
            return False
        finally:
            elapsed = time.monotonic() - started
            self.metrics.poll_seconds.labels(meter).set(elapsed)
            self.metrics.poll_load.labels(meter).observe(elapsed / self.meter.poll_interval_s)
            self.health.polls += 1
        self._succeeded(reading)
        return True

    def _failed(self, kind: ErrorKind, message: str) -> None:
        h = self.health
        h.consecutive_failures += 1
        h.failing = True
        h.last_error = f"{self.meter.id}: {kind}: {message}"
        h.last_error_at = time.time()
        self.metrics.polls.labels(self.meter.id, "failed").inc()
        self.metrics.errors.labels(self.meter.id, kind).inc()
        self.metrics.failing.labels(self.meter.id).set(1)
        self.on_error(h.last_error)
        log.warning(
            "poll failed",
            extra={
                "meter": self.meter.id,
                "kind": kind,
                "error": message,
                "failures": h.consecutive_failures,
            },
        )

    def _succeeded(self, reading: Reading | None) -> None:
        h = self.health
        h.consecutive_failures = 0
        h.last_ok_at = time.time()
        quality = reading.quality if reading else Quality.BAD
        self.metrics.readings.labels(self.meter.id, quality.value).inc()
        # A meter that answers nonsense is as broken as a silent one for the operator.
        h.failing = quality is Quality.BAD
        self.metrics.failing.labels(self.meter.id).set(int(h.failing))
        self.metrics.polls.labels(self.meter.id, "ok" if quality is Quality.GOOD else "bad").inc()
        # A good reading may settle an earlier suspect one (a glitch, a reset): reported too.
        if quality is not Quality.GOOD or h.counter_events:
            h.last_error = f"{self.meter.id}: {quality.value} reading: {'; '.join(h.problems)}"
            h.last_error_at = time.time()
            self.on_error(h.last_error)
            log.warning(
                "questionable reading",
                extra={"meter": self.meter.id, "quality": quality.value, "problems": h.problems},
            )


def _next_tick(due: float, interval: float, now: float) -> float:
    """The next scheduled time after `now`, keeping the meter's phase (missed ticks skipped)."""
    due += interval
    if due <= now:
        due += math.ceil((now - due) / interval) * interval
    return due


def _where(block: Block) -> str:
    return f"{block.table.value} {block.start}+{block.count}"
