"""Outbox -> broker: oldest first, a bounded window in flight, a bounded rate.

A batch is deleted from the outbox only when its PUBACK arrives. While the
link is down nothing new is handed to paho (paho keeps and re-sends what it
already holds); after reconnecting, the backlog drains oldest first at
`replay_rate` batches/s while new batches keep joining its tail, so order
is seq order throughout.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Protocol

from edge_agent.metrics import Metrics
from edge_agent.outbox import AsyncOutbox

log = logging.getLogger("edge_agent.publisher")


class Link(Protocol):
    """What the publisher needs of the MQTT link (`MqttLink`)."""

    @property
    def connected(self) -> bool: ...

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> int: ...


class TokenBucket:
    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate)
        self.tokens = self.capacity
        self.stamp = time.monotonic()

    async def take(self) -> None:
        while True:
            now = time.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens >= 1:
                self.tokens -= 1
                return
            await asyncio.sleep((1 - self.tokens) / self.rate)


class Publisher:
    def __init__(
        self,
        outbox: AsyncOutbox,
        link: Link,
        topic: str,
        metrics: Metrics,
        replay_rate: float,
        window: int = 20,
        on_error: Callable[[str], None] = lambda _m: None,
    ) -> None:
        self.outbox = outbox
        self.link = link
        self.topic = topic
        self.metrics = metrics
        self.window = window
        self.bucket = TokenBucket(replay_rate)
        self.on_error = on_error
        self.inflight: dict[int, tuple[int, float]] = {}  # mid -> (seq, sent at)
        self.sent_upto = -1  # highest seq handed to paho
        self.wake = asyncio.Event()
        self._paused_until = 0.0
        self._tasks: set[asyncio.Task] = set()

    async def run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), 1.0)
            self.wake.clear()
            try:
                await self.pump()
            except Exception as exc:  # keep publishing whatever went wrong once
                log.exception("publisher error")
                self.on_error(f"publisher: {type(exc).__name__}: {exc}")
                await asyncio.sleep(1)

    async def pump(self) -> None:
        while self.link.connected and time.monotonic() >= self._paused_until:
            room = self.window - len(self.inflight)
            if room <= 0:
                return
            rows = await self.outbox.after(self.sent_upto, room)
            if not rows:
                return
            for row in rows:
                await self.bucket.take()
                if not self.link.connected:
                    return
                mid = self.link.publish(self.topic, row.payload)
                self.inflight[mid] = (row.seq, time.monotonic())
                self.sent_upto = row.seq

    def on_connected(self) -> None:
        self.wake.set()

    def on_puback(self, mid: int, ok: bool, reason: str) -> None:
        entry = self.inflight.pop(mid, None)
        if entry is None:
            return  # a status message, or a batch from before a rewind
        seq, sent = entry
        if not ok:
            # The broker refused it (e.g. not authorised): keep it, try again later.
            self.on_error(f"broker refused batch seq {seq}: {reason}")
            log.warning("publish refused", extra={"seq": seq, "reason": reason})
            self.sent_upto = min(self.sent_upto, seq - 1)
            self._paused_until = time.monotonic() + 5.0
            return
        self.metrics.publish_latency.observe(time.monotonic() - sent)
        self.metrics.acked.inc()
        task = asyncio.ensure_future(self.outbox.delete(seq))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self.wake.set()

    async def drain(self, timeout_s: float) -> None:
        """Wait (bounded) for what is in flight, e.g. before a clean shutdown."""
        deadline = time.monotonic() + timeout_s
        while self.inflight and time.monotonic() < deadline and self.link.connected:
            await asyncio.sleep(0.05)
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
