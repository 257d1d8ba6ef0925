"""The rollup's long-lived state kept out of the cyclic garbage collector.

A rollup keeps every meter's state and the books of its periods between passes:
millions of objects at city scale, which Python's collector scanned again and
again (a full collection cost 0.7–1.2 s of a 3.7 s pass at 60,000 meters). After
each pass what survived it is frozen (gc.freeze: never scanned, still freed by
reference counting); every `full_every` passes the frozen objects are thawed and
collected once, so that cycles among forgotten state do not pile up. The young
generations are collected less often (THRESHOLDS): the process's own setting.
"""

from __future__ import annotations

import gc

FULL_EVERY = 60  # passes: an hour at the default interval
# A pass allocates millions of short-lived objects: with the default first threshold
# (700) the young generations were collected ~400 times a pass.
THRESHOLDS = (50_000, 20, 10)


class Heap:
    def __init__(self, full_every: int = FULL_EVERY) -> None:
        self.full_every = full_every
        self.passes = 0
        gc.set_threshold(*THRESHOLDS)

    def settle(self) -> None:
        """After a pass: freeze what survived it (a full collection first, now and then)."""
        self.passes += 1
        if self.passes % self.full_every == 0:
            gc.unfreeze()
            gc.collect()
        gc.freeze()
