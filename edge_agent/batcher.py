"""Readings -> one batch per agent cycle, written to the outbox before anything is sent."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from edge_agent.metrics import Metrics
from edge_agent.outbox import AsyncOutbox
from telemetry.models import MAX_READINGS_PER_BATCH, Reading, ReadingBatch

log = logging.getLogger("edge_agent.batcher")


class Batcher:
    def __init__(self, site: str, agent: str, outbox: AsyncOutbox, metrics: Metrics) -> None:
        self.site = site
        self.agent = agent
        self.outbox = outbox
        self.metrics = metrics
        self.pending: list[Reading] = []
        self.dropped_total = 0

    def add(self, reading: Reading) -> None:
        self.pending.append(reading)

    async def flush(self) -> list[int]:
        """Store what accumulated as batch(es); returns their seqs."""
        seqs: list[int] = []
        # Readings that arrive while the batch is being written belong to the next cycle.
        count = len(self.pending)
        while count > 0:
            chunk = self.pending[: min(count, MAX_READINGS_PER_BATCH)]
            seq, dropped = await self.outbox.append(self._builder(chunk))
            # Only drop from memory once the batch is on disk.
            del self.pending[: len(chunk)]
            count -= len(chunk)
            seqs.append(seq)
            self.metrics.batches.inc()
            if dropped:
                self.dropped_total += dropped
                log.warning(
                    "outbox over budget: dropped oldest batches", extra={"dropped": dropped}
                )
        return seqs

    def _builder(self, readings: list[Reading]) -> Callable[[int], bytes]:
        def build(seq: int) -> bytes:
            return ReadingBatch(
                site=self.site, agent=self.agent, seq=seq, readings=readings
            ).to_json()

        return build

    async def run(self, cycle_s: float, on_flush: Callable[[], None], phase_s: float = 0.0) -> None:
        """Flush every `cycle_s`, first at `phase_s` (chosen to fall between meters' polls)."""
        loop = asyncio.get_running_loop()
        due = loop.time() + (phase_s or cycle_s)
        while True:
            await asyncio.sleep(max(0.0, due - loop.time()))
            due += cycle_s
            try:
                if await self.flush():
                    on_flush()
            except Exception:  # a full disk must not end the agent: readings stay pending
                log.exception("could not write a batch to the outbox")
