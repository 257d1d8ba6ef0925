"""Quality of a reading: finite, inside its field's plausible range, counters not going back.

Decisions (edge_agent/README.md):
- NaN or infinite values are dropped (the wire contract carries finite numbers
  only) and the reading is `bad`; with nothing finite left there is no reading.
- A finite value outside `FieldSpec.low..high` stays in the reading, which is
  marked `bad`, so an operator can see what the meter said.
- A counter lower than the last good value is a reset or a replaced meter: the
  reading is `uncertain` (the value is real, the continuity is not) and the
  event is reported; the new value becomes the baseline, so one replacement
  yields one uncertain reading, not a stream of them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from telemetry.fields import FIELDS, FieldKind, Utility
from telemetry.models import Quality


@dataclass
class Verdict:
    values: dict[str, float]
    quality: Quality
    problems: list[str] = field(default_factory=list)
    counter_resets: list[str] = field(default_factory=list)
    nonfinite: list[str] = field(default_factory=list)
    out_of_range: list[str] = field(default_factory=list)


_ORDER = {Quality.GOOD: 0, Quality.UNCERTAIN: 1, Quality.BAD: 2}


def _worse(a: Quality, b: Quality) -> Quality:
    return a if _ORDER[a] >= _ORDER[b] else b


class CounterTracker:
    """Last good value of each counter of one meter."""

    def __init__(self) -> None:
        self.last: dict[str, float] = {}

    def check(self, name: str, value: float) -> float | None:
        """The previous value when `value` went backwards, else None; updates the baseline."""
        previous = self.last.get(name)
        self.last[name] = value
        if previous is not None and value < previous:
            return previous
        return None


def judge(utility: Utility, raw: dict[str, float], counters: CounterTracker) -> Verdict:
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
        _check_counters(specs, verdict, counters)
    return verdict


def _check_counters(specs: dict, verdict: Verdict, counters: CounterTracker) -> None:
    for name, value in verdict.values.items():
        if specs[name].kind is not FieldKind.COUNTER:
            continue
        previous = counters.check(name, value)
        if previous is not None:
            verdict.counter_resets.append(name)
            verdict.problems.append(
                f"{name}: counter went back from {previous:g} to {value:g} (reset or replaced meter)"
            )
            verdict.quality = _worse(verdict.quality, Quality.UNCERTAIN)
