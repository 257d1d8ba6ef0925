"""Quality of a reading: finite, inside its field's plausible range, counters not going back.

Decisions (edge_agent/README.md):
- NaN or infinite values are dropped (the wire contract carries finite numbers
  only) and the reading is `bad`; with nothing finite left there is no reading.
- A finite value outside `FieldSpec.low..high` stays in the reading, which is
  marked `bad`, so an operator can see what the meter said.
- Counters follow the continuity rule of `telemetry.counters` (the same one
  the rollups apply): a reading that drops below the accepted level, or rises
  faster than the meter can count, is suspect and `uncertain` at once, and
  the old level stays the baseline; the readings after it settle it as a
  glitch or spike (reported, the baseline unchanged) or, after K readings in
  line with it, a reset or replaced meter (reported; the baseline moves).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from telemetry.counters import EVENTS, Continuity, Kind, Settled, max_rate_per_h
from telemetry.fields import FIELDS, FieldKind, Utility
from telemetry.models import Quality


@dataclass
class Verdict:
    values: dict[str, float]
    quality: Quality
    problems: list[str] = field(default_factory=list)
    counter_resets: list[str] = field(default_factory=list)
    counter_glitches: list[str] = field(default_factory=list)  # glitches and spikes settled now
    counter_events: list[Settled] = field(default_factory=list)  # every event settled now
    nonfinite: list[str] = field(default_factory=list)
    out_of_range: list[str] = field(default_factory=list)


_ORDER = {Quality.GOOD: 0, Quality.UNCERTAIN: 1, Quality.BAD: 2}


def _worse(a: Quality, b: Quality) -> Quality:
    return a if _ORDER[a] >= _ORDER[b] else b


class CounterTracker:
    """The continuity state of each counter of one meter.

    `wraps` maps a counter to the value its register rolls over at (from the
    profile), so that a wrap is counted as one, not as a reset.
    """

    def __init__(self, wraps: dict[str, float] | None = None) -> None:
        self.wraps = wraps or {}
        self.states: dict[str, Continuity] = {}

    def check(self, utility: Utility, name: str, ts_ms: int, value: float) -> list[Settled]:
        """Feed one reading; every verdict it settles (its own is PENDING while suspect)."""
        state = self.states.get(name)
        if state is None:
            state = Continuity(max_rate_per_h(utility, name), self.wraps.get(name))
            self.states[name] = state
        return state.feed(ts_ms, value)


def judge(utility: Utility, raw: dict[str, float], counters: CounterTracker, ts_ms: int) -> Verdict:
    specs = FIELDS[utility]
    verdict = Verdict(values={}, quality=Quality.GOOD)
    for name, value in raw.items():
        spec = specs[name]
        if not math.isfinite(value):
            verdict.nonfinite.append(name)
            verdict.problems.append(f"{name}: {value} is not a finite number (dropped)")
            verdict.quality = Quality.BAD
            continue
        verdict.values[name] = value
        if not spec.low <= value <= spec.high:
            verdict.out_of_range.append(name)
            verdict.problems.append(
                f"{name}: {value:g} {spec.unit} outside plausible {spec.low:g}..{spec.high:g}"
            )
            verdict.quality = Quality.BAD
    # Counters are compared only when the reading is otherwise sound, so a
    # garbage read neither raises nor becomes the baseline.
    if verdict.quality is Quality.GOOD:
        _check_counters(utility, verdict, counters, ts_ms)
    return verdict


def _check_counters(
    utility: Utility, verdict: Verdict, counters: CounterTracker, ts_ms: int
) -> None:
    specs = FIELDS[utility]
    for name, value in verdict.values.items():
        if specs[name].kind is not FieldKind.COUNTER:
            continue
        for s in counters.check(utility, name, ts_ms, value):
            _report(name, s, ts_ms, verdict)


def _report(name: str, s: Settled, ts_ms: int, verdict: Verdict) -> None:
    if s.kind in EVENTS:
        verdict.counter_events.append(s)
    if s.kind is Kind.PENDING:
        verdict.problems.append(
            f"{name}: {s.value:g} does not follow {s.previous:g} "
            "(glitch, spike or reset: the next readings decide)"
        )
        verdict.quality = _worse(verdict.quality, Quality.UNCERTAIN)
    elif s.kind is Kind.RESET:
        verdict.counter_resets.append(name)
        verdict.problems.append(
            f"{name}: counter went back from {s.previous:g} to {s.value:g} "
            "(reset or replaced meter, confirmed by the readings after it)"
        )
    elif s.kind in (Kind.GLITCH, Kind.SPIKE):
        verdict.counter_glitches.append(name)
        ago = f"{(ts_ms - s.ts) / 1000:g} s ago" if s.ts != ts_ms else "now"
        verdict.problems.append(
            f"{name}: the read of {s.value:g} ({ago}) was a {s.kind.value}: "
            f"the counter carried on from {s.previous:g}"
        )
    elif s.kind is Kind.ROLLOVER:
        verdict.problems.append(f"{name}: register rolled over ({s.previous:g} to {s.value:g})")
