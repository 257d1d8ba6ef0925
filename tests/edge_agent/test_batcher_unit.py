"""One batch per cycle: what arrives while a batch is being written waits for the next."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

from edge_agent.batcher import Batcher
from edge_agent.metrics import Metrics
from edge_agent.outbox import AsyncOutbox, Outbox
from telemetry.models import MAX_READINGS_PER_BATCH, Reading


def _reading(meter: str) -> Reading:
    return Reading(meter=meter, utility="gas", ts=datetime.now(UTC), values={"volume_m3": 1.0})


class LateArrival(AsyncOutbox):
    """Adds a reading to the batcher while the first write is under way."""

    batcher: Batcher
    fired = False

    async def append(self, build):
        if not self.fired:
            self.fired = True
            self.batcher.add(_reading("late"))
        return await super().append(build)


def test_a_reading_arriving_during_the_write_goes_to_the_next_batch(tmp_path: Path) -> None:
    outbox = LateArrival(Outbox(tmp_path / "o.sqlite", 10**9))
    batcher = Batcher("s", "a", outbox, Metrics())
    outbox.batcher = batcher
    batcher.add(_reading("m1"))
    batcher.add(_reading("m2"))
    assert asyncio.run(batcher.flush()) == [0]
    assert [r.meter for r in batcher.pending] == ["late"]
    assert asyncio.run(batcher.flush()) == [1]
    rows = outbox.store.after(-1, 10)
    assert [[r["meter"] for r in json.loads(row.payload)["readings"]] for row in rows] == [
        ["m1", "m2"],
        ["late"],
    ]


def test_more_readings_than_a_batch_holds_make_several_batches(tmp_path: Path) -> None:
    outbox = AsyncOutbox(Outbox(tmp_path / "o.sqlite", 10**9))
    batcher = Batcher("s", "a", outbox, Metrics())
    for i in range(MAX_READINGS_PER_BATCH + 3):
        batcher.add(_reading(f"m{i}"))
    assert asyncio.run(batcher.flush()) == [0, 1]
    assert batcher.pending == []
    sizes = [len(json.loads(r.payload)["readings"]) for r in outbox.store.after(-1, 10)]
    assert sizes == [MAX_READINGS_PER_BATCH, 3]
