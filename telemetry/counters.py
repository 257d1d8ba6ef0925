"""Counter continuity: which readings of a cumulative counter count as consumption.

One rule for the edge agent (quality marks) and the rollups (consumption),
decided with the readings after a suspect one, never at it:

- A reading is *in line* with a level (value, time) when it lies between the
  level (less a rounding tolerance) and the level plus the most the meter can
  count in the elapsed time (the plausible high of the matching rate field,
  `max_rate_per_h`). An in-line reading counts its difference.
- A reading not in line with the accepted level (a drop, or a rise faster than
  the meter can count) is *suspect*: it counts nothing while pending.
- A later reading in line with the old level settles every pending reading as
  a **glitch** (it was below the old level) or a **spike** (above it).
- When a suspect reading is followed by `K` readings in line with it (each
  with the one before) and the counter has advanced past it, it is a
  **reset** (the counter restarted, or the meter was replaced). A value that
  does not move (a register stuck at garbage, a gateway answering 0) stays
  suspect until it moves or the old level returns (then every reading of it
  is a glitch or spike). After a drop a reset counts its own value (restarted from 0)
  if the meter could have counted that much since the old level, else
  nothing; after a sustained jump up it counts nothing. A known register wrap
  (`wrap`, the value at which a scaled 32-bit register rolls over) turns a
  drop that fits `wrap - old + new` into a **rollover**, counted in full.
- A pending reading that fits neither the old level nor the chain before it
  starts a new chain; the earlier ones are then glitches or spikes.
- A drop back in line with the level *before* the last accepted reading
  makes that one reading a **spike** after all (a high read the meter could
  have reached, given away by the return): its verdict is revised, and the
  drop counts from the level before it.

`Continuity.feed` takes readings in time order, one at a time (the agent) or
all of them (the rollup), and returns what each reading settles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from telemetry.codec import RegisterType, int_range
from telemetry.fields import FIELDS, RATE_FIELD, FieldKind, Utility
from telemetry.registry.profiles import Profile

K = 3  # in-line readings after a suspect one that make it a reset
MAX_PENDING = 10_000  # past this, the oldest suspect is settled as a glitch or spike
NOISE = 1e-9  # a drop under this fraction of the value is rounding, not a drop
MIN_ELAPSED_MS = 1_000  # two reads within a second may still differ by a second's use
HOUR_MS = 3_600_000


class Kind(StrEnum):
    OK = "ok"  # in line: counts its difference
    PENDING = "pending"  # suspect, not settled yet: counts nothing for now
    GLITCH = "glitch"  # below the old level, which came back
    SPIKE = "spike"  # above the old level (or faster than possible), which came back
    RESET = "reset"  # the counter restarted or the meter was replaced
    ROLLOVER = "rollover"  # the register wrapped at its known maximum


EVENTS = (Kind.GLITCH, Kind.SPIKE, Kind.RESET, Kind.ROLLOVER)  # verdicts worth recording


@dataclass(frozen=True, slots=True)
class Point:
    ts: int  # ms
    value: float

    def __reduce__(self) -> tuple[type[Point], tuple[int, float]]:
        # Pickled by its constructor: the Python __setstate__ that slots dataclasses get
        # made loading a rollup's saved meter states several times slower.
        return (Point, (self.ts, self.value))


@dataclass(frozen=True, slots=True)
class Settled:
    """A reading's final verdict and what it adds to consumption (in the period of `ts`)."""

    ts: int
    value: float
    kind: Kind
    amount: float
    previous: float  # the accepted level it was compared with

    def __reduce__(self) -> tuple[type[Settled], tuple[int, float, Kind, float, float]]:
        return (Settled, (self.ts, self.value, self.kind, self.amount, self.previous))  # as Point


def max_rate_per_h(utility: Utility | str, counter: str) -> float:
    """The most a counter can count per hour: the plausible high of its rate field."""
    specs = FIELDS[Utility(utility)]
    spec = specs.get(counter)
    if spec is None or spec.kind is not FieldKind.COUNTER:
        raise ValueError(f"{utility}.{counter} is not a counter field")
    rate = "flow_m3h" if counter == "volume_m3" else RATE_FIELD[Utility(utility)]
    return specs[rate].high


def register_wraps(profile: Profile) -> dict[str, float]:
    """Counter → the value its register rolls over at, where the profile fixes it:
    an unsigned integer with a fixed scale and no offset (a scale register or an
    offset leaves it unknown)."""
    out: dict[str, float] = {}
    for f in profile.fields:
        spec = FIELDS[profile.utility].get(f.field)
        unsigned = f.type.value.startswith("uint")
        if spec is None or spec.kind is not FieldKind.COUNTER or not unsigned:
            continue
        if f.scale_register is None and f.offset == 0:
            out[f.field] = (int_range(RegisterType(f.type))[1] + 1) * f.scale
    return out


@dataclass
class Continuity:
    """The state of one counter of one meter: its accepted level and pending readings."""

    max_rate_per_h: float
    wrap: float | None = None
    k: int = K
    level: Point | None = None
    before: Point | None = None  # the level before `level`: a return to it exposes a spike
    pending: list[Point] = field(default_factory=list)
    chain: int = 0  # index in `pending` where the run of readings in line starts

    def feed(self, ts: int, value: float) -> list[Settled]:
        """Take the next reading; every verdict it settles (its own is PENDING if not)."""
        new = Point(ts, value)
        if self.level is None:
            self.level = new
            return [Settled(ts, value, Kind.OK, 0.0, value)]
        if self._in_line(self.level, new):
            return [*self._drop_pending(), self._accept(new)]
        if not self.pending and self._returned(new):
            return [self._revise_spike(), self._accept(new)]
        out = self._drop_pending(1) if len(self.pending) >= MAX_PENDING else []
        if self.pending and self._in_line(self.pending[-1], new):
            self.pending.append(new)
            if self._confirmed():
                return out + self._confirm()
        else:
            self.chain = len(self.pending)
            self.pending.append(new)
        return [*out, Settled(ts, value, Kind.PENDING, 0.0, self.level.value)]

    def _confirmed(self) -> bool:
        """K readings in line after the chain's first, and the counter moved past it."""
        first, last = self.pending[self.chain], self.pending[-1]
        moved = last.value > first.value + NOISE * abs(first.value)
        return len(self.pending) - self.chain > self.k and moved

    def _in_line(self, level: Point, new: Point) -> bool:
        elapsed = max(new.ts - level.ts, MIN_ELAPSED_MS)
        low = level.value - NOISE * abs(level.value)
        return low <= new.value <= level.value + self.max_rate_per_h * elapsed / HOUR_MS

    def _returned(self, new: Point) -> bool:
        assert self.level is not None
        back = self.before is not None and self._in_line(self.before, new)
        return back and new.value < self.level.value

    def _revise_spike(self) -> Settled:
        assert self.level is not None and self.before is not None
        spiked, self.level, self.before = self.level, self.before, None
        return Settled(spiked.ts, spiked.value, Kind.SPIKE, 0.0, self.level.value)

    def _accept(self, new: Point) -> Settled:
        assert self.level is not None
        previous = self.level.value
        self.before, self.level = self.level, new
        return Settled(new.ts, new.value, Kind.OK, max(new.value - previous, 0.0), previous)

    def _drop_pending(self, upto: int | None = None) -> list[Settled]:
        """Pending readings [0, upto) become glitches or spikes against the old level."""
        assert self.level is not None
        upto = len(self.pending) if upto is None else upto
        base = self.level.value
        out = [
            Settled(p.ts, p.value, Kind.GLITCH if p.value < base else Kind.SPIKE, 0.0, base)
            for p in self.pending[:upto]
        ]
        self.pending = self.pending[upto:]
        self.chain = max(self.chain - upto, 0)
        return out

    def _confirm(self) -> list[Settled]:
        """The chain held for K readings: its first is a reset (or rollover), the rest in line."""
        out = self._drop_pending(self.chain)
        assert self.level is not None
        old, first = self.level, self.pending[0]
        out.append(self._restart(old, first))
        self.before, self.level = None, first
        for p in self.pending[1:]:
            out.append(self._accept(p))
        self.pending = []
        return out

    def _restart(self, old: Point, first: Point) -> Settled:
        possible = self.max_rate_per_h * max(first.ts - old.ts, MIN_ELAPSED_MS) / HOUR_MS
        if first.value < old.value and self.wrap is not None:
            wrapped = self.wrap - old.value + first.value
            if 0 <= wrapped <= possible:
                return Settled(first.ts, first.value, Kind.ROLLOVER, wrapped, old.value)
        used = first.value if first.value < old.value and first.value <= possible else 0.0
        return Settled(first.ts, first.value, Kind.RESET, used, old.value)


def settle(
    readings: list[tuple[int, float]], max_rate: float, wrap: float | None = None
) -> list[Settled]:
    """Every reading's final verdict, in time order; the last ones may still be PENDING.

    A later verdict on the same reading replaces an earlier one (a pending
    reading settled, a spike exposed by the return).
    """
    state = Continuity(max_rate, wrap)
    verdicts: dict[int, Settled] = {}
    for ts, value in readings:
        verdicts.update((s.ts, s) for s in state.feed(ts, value))
    return [verdicts[ts] for ts in sorted(verdicts)]
