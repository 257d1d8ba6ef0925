"""The rollup process's heap (heap.py): what survives a pass is frozen, and every
`full_every` passes the frozen objects are thawed and collected once."""

from __future__ import annotations

import gc
import weakref

import pytest

from collector.rollup.heap import THRESHOLDS, Heap


@pytest.fixture(autouse=True)
def _thawed():
    """The test process's collector as it was: thawed, its thresholds restored."""
    thresholds = gc.get_threshold()
    gc.unfreeze()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_what_survives_a_pass_is_frozen() -> None:
    kept = [object() for _ in range(1000)]
    Heap().settle()
    assert gc.get_freeze_count() >= len(kept)
    assert gc.get_threshold() == THRESHOLDS


def test_a_cycle_left_among_frozen_state_is_freed_by_the_full_collection() -> None:
    heap = Heap(full_every=2)

    class Cycle:
        def __init__(self) -> None:
            self.me = self

    cycle = Cycle()
    ref = weakref.ref(cycle)
    heap.settle()  # frozen with the state of a pass
    del cycle  # forgotten state: a cycle only the collector frees
    gc.collect()
    assert ref() is not None  # frozen: the collector does not see it
    heap.settle()  # the full collection
    assert ref() is None
