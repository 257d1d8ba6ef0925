"""Per-agent `seq` bookkeeping: gaps (batches never seen) and duplicates.

In memory, per process: collectors keep no state that must survive them. With
several collectors in the share group each one sees only part of an agent's
batches, so a single process's gap count is an upper bound; duplicates (a
redelivery after a reconnect) are exact within a process.

A jump forward by more than MAX_GAP is not counted as that many gaps: no agent
loses a million batches and lives (at one batch a second that is 11 days, past
which its readings are refused as too old anyway); it is a new baseline,
counted as a reset like a jump back. So one hostile `seq` moves the gap count
by at most MAX_GAP.
"""

from __future__ import annotations

from dataclasses import dataclass, field

WINDOW = 4096  # how far back a late batch is still recognised
MAX_GAP = 1_000_000  # a bigger jump forward is a new baseline, not gaps


@dataclass
class _AgentSeq:
    high: int
    seen: set[int] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class SeqEvent:
    gaps: int = 0
    duplicate: bool = False
    late: bool = False
    reset: bool = False


class SeqTracker:
    def __init__(self, window: int = WINDOW, max_gap: int = MAX_GAP) -> None:
        self.window = window
        self.max_gap = max_gap
        self._agents: dict[str, _AgentSeq] = {}

    def observe(self, agent: str, seq: int) -> SeqEvent:
        state = self._agents.get(agent)
        if state is None:
            self._agents[agent] = _AgentSeq(high=seq, seen={seq})
            return SeqEvent()
        if seq in state.seen:
            return SeqEvent(duplicate=True)
        if seq < state.high - self.window or seq - state.high - 1 > self.max_gap:
            # Far behind everything seen: the agent lost its counter (new disk);
            # far ahead: a damaged or hostile seq. Either way, a new baseline.
            self._agents[agent] = _AgentSeq(high=seq, seen={seq})
            return SeqEvent(reset=True)
        state.seen.add(seq)
        if seq < state.high:
            return SeqEvent(late=True)
        gaps = seq - state.high - 1
        state.high = seq
        if len(state.seen) > 2 * self.window:
            floor = state.high - self.window
            state.seen = {x for x in state.seen if x >= floor}
        return SeqEvent(gaps=gaps)
