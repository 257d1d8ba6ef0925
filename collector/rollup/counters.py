"""Consumption from cumulative counters: differences, with resets handled.

Each pair of consecutive readings (previous, current) contributes to the
period holding the current reading: current - previous, or, when the counter
went down (a reset or a replaced meter that started again from ~0), the
current value itself. Rates are never summed. A drop smaller than NOISE of
the previous value is rounding, not a reset, and counts as zero.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

NOISE = 1e-9


@dataclass
class Usage:
    consumption: float = 0.0
    resets: int = 0

    def add(self, other: Usage) -> None:
        self.consumption += other.consumption
        self.resets += other.resets


def step(previous: float, current: float) -> tuple[float, bool]:
    """(consumption between two readings, whether the counter was reset)."""
    if current >= previous:
        return current - previous, False
    if previous - current <= NOISE * abs(previous):
        return 0.0, False
    return current, True


def usage_by_period(
    readings: Iterable[tuple[int, float]],
    period_of: Callable[[int], int],
    previous: float | None = None,
) -> dict[int, Usage]:
    """Usage per period from (ts_ms, counter) readings sorted by time.

    `previous` is the meter's last counter value before the first reading
    (None when unknown: the first reading then only sets the base).
    """
    out: dict[int, Usage] = {}
    for ts, value in readings:
        if previous is not None:
            amount, reset = step(previous, value)
            usage = out.setdefault(period_of(ts), Usage())
            usage.consumption += amount
            usage.resets += int(reset)
        else:
            out.setdefault(period_of(ts), Usage())
        previous = value
    return out
