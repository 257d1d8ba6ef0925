"""Consumption from cumulative counters, by the continuity rule of `telemetry.counters`.

Each reading that the rule accepts contributes its difference to the period
holding it; a glitch or a spike contributes nothing and is counted; a reset
contributes what the rule says (its value when the counter restarted from 0)
and is counted. Readings before the window settle the level at its start,
readings after it settle its last suspects; neither adds to the window.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from telemetry.counters import EVENTS, Kind, Settled, settle


@dataclass
class Usage:
    consumption: float = 0.0
    resets: int = 0
    glitches: int = 0
    spikes: int = 0
    pending: int = 0  # suspects not settled yet (they count nothing until they are)

    def add(self, other: Usage) -> None:
        self.consumption += other.consumption
        self.resets += other.resets
        self.glitches += other.glitches
        self.spikes += other.spikes
        self.pending += other.pending

    def count(self, s: Settled, sign: int = 1) -> None:
        """Add one verdict (sign -1: take back one that a later verdict replaces)."""
        self.consumption += sign * s.amount
        self.resets += sign * (s.kind is Kind.RESET)
        self.glitches += sign * (s.kind is Kind.GLITCH)
        self.spikes += sign * (s.kind is Kind.SPIKE)
        self.pending += sign * (s.kind is Kind.PENDING)


@dataclass(frozen=True, slots=True)
class Window:
    start_ms: int
    end_ms: int

    def holds(self, ts: int) -> bool:
        return self.start_ms <= ts < self.end_ms


def usage_by_period(
    readings: Iterable[tuple[int, float]],
    period_of: Callable[[int], int],
    max_rate_per_h: float,
    window: Window,
) -> tuple[dict[int, Usage], list[Settled]]:
    """Usage per period of the readings inside `window`, and their events.

    `readings` are (ts_ms, counter) sorted by time and may reach before and
    after the window (context). The first reading only sets the level.
    """
    out: dict[int, Usage] = {}
    events: list[Settled] = []
    for s in settle(list(readings), max_rate_per_h):
        if not window.holds(s.ts):
            continue
        out.setdefault(period_of(s.ts), Usage()).count(s)
        if s.kind in EVENTS:
            events.append(s)
    return out, events
