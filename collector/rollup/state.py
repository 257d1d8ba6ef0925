"""Per-meter continuity state kept between passes, so new readings resume where the last pass stopped.

A meter's state is what the continuity rule needs to take its next reading
(`telemetry.counters.Continuity`: the accepted level, the one before it, the
pending suspects), the verdicts that may still change (the pending readings
and the accepted level, which a return can expose as a spike), and the usage
of the hours those verdicts and the newest reading fall in. Feeding a
reading applies each verdict it settles to its hour (a revised verdict
replaces the old one there), so the hours written are complete without
re-reading them. A verdict for an hour the state no longer holds asks for a
recompute from raw readings (`redo_from`).

States live in the rollup process's memory, and on disk when `state_path`
is set (snapshot.py): a restarted rollup resumes them; without them it
rebuilds a site's state from raw readings the first time the site sends again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from collector.rollup.counters import Usage, Window
from collector.rollup.periods import hour_of
from telemetry.counters import EVENTS, Continuity, Settled

Reading = tuple[int, float]


@dataclass(slots=True)
class MeterState:
    cont: Continuity
    last_ts: int
    open: dict[int, Settled] = field(default_factory=dict)  # verdicts that may still change
    hours: dict[int, Usage] = field(default_factory=dict)

    def __reduce__(self) -> tuple[type[MeterState], tuple[object, ...]]:
        # By its constructor (snapshot.py): slots dataclasses unpickle through Python.
        return (MeterState, (self.cont, self.last_ts, self.open, self.hours))

    def _keep_open(self, known: dict[int, Settled]) -> None:
        level = self.cont.level
        revisable = [p.ts for p in self.cont.pending] + ([level.ts] if level else [])
        self.open = {t: known[t] for t in revisable if t in known}
        since = min([hour_of(t) for t in self.open] + [hour_of(self.last_ts)])
        self.hours = {h: u for h, u in self.hours.items() if h >= since}


@dataclass
class Fed:
    """What feeding new readings changed: hours to rewrite, events, or a recompute."""

    hours: set[int] = field(default_factory=set)
    events: list[Settled] = field(default_factory=list)
    redo_from: int | None = None  # a verdict changed in an hour the state no longer holds


def start(
    readings: list[Reading], rate: float, window: Window
) -> tuple[dict[int, Usage], list[Settled], MeterState, dict[int, Settled]]:
    """Usage per hour of the readings inside `window` (the rest is context), its
    events, the state after the last reading, and every reading's verdict."""
    cont = Continuity(rate)
    verdicts: dict[int, Settled] = {}
    for ts, value in readings:
        verdicts.update((s.ts, s) for s in cont.feed(ts, value))
    per_hour: dict[int, Usage] = {}
    events: list[Settled] = []
    for ts in sorted(verdicts):
        if window.holds(ts):
            s = verdicts[ts]
            per_hour.setdefault(hour_of(ts), Usage()).count(s)
            if s.kind in EVENTS:
                events.append(s)
    state = MeterState(cont, readings[-1][0] if readings else 0)
    state.hours = {h: _copy(u) for h, u in per_hour.items()}
    state._keep_open(verdicts)
    return per_hour, events, state, verdicts


def feed(state: MeterState, readings: list[Reading]) -> Fed:
    """Take readings newer than the state's last one, in time order."""
    out = Fed()
    known = dict(state.open)
    for ts, value in readings:
        if ts <= state.last_ts:
            continue  # taken by an earlier pass
        for s in state.cont.feed(ts, value):
            hour = hour_of(s.ts)
            if hour not in state.hours:
                if s.ts < ts:  # a revision in an hour no longer held
                    out.redo_from = min(s.ts, out.redo_from or s.ts)
                    continue
                state.hours[hour] = Usage()
            old = known.get(s.ts)
            if old is not None:
                state.hours[hour].count(old, -1)
            state.hours[hour].count(s)
            known[s.ts] = s
            out.hours.add(hour)
            if s.kind in EVENTS:
                out.events.append(s)
        state.last_ts = ts
    state._keep_open(known)
    return out


def _copy(u: Usage) -> Usage:
    return Usage(u.consumption, u.resets, u.glitches, u.spikes, u.pending)
