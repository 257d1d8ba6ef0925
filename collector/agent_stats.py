"""Per-agent figures for the operators' page: sequence gaps and rejected messages by reason,
written as `collector_agent_stats` points beside the collector's own `collector_stats`.

Counted as increments since the last stats line, not as counters since start: only agents
with something to report get a line (thousands of quiet agents cost nothing), and a sum
over a window is exact across restarts (rejections also across the collectors of the share
group; gaps are per collector: `telemetry/facility_queries.py` `agent_seq_gaps`).

An agent is named only when the registry knows the topic's site and agent: a malformed
topic, an unknown site or agent counts in the collector's figures alone (`rejected`,
`collector_stats`), so no text from the wire becomes a tag.
"""

from __future__ import annotations

import threading
from collections import Counter

from telemetry import influx_schema as s
from telemetry.lineproto import line

Agent = tuple[str, str]  # (site, agent), both known to the registry


class AgentStats:
    """Counted and drained by the validation thread; locked like `Stats`, so the write thread
    may count too."""

    def __init__(self, instance: str) -> None:
        self.instance = instance
        self._gaps: Counter[Agent] = Counter()
        self._rejected: Counter[tuple[str, str, str]] = Counter()
        self._lock = threading.Lock()
        self._last_ms = 0

    def gaps(self, agent: Agent, n: int) -> None:
        with self._lock:
            self._gaps[agent] += n

    def rejected(self, agent: Agent, reason: str) -> None:
        with self._lock:
            self._rejected[(*agent, reason)] += 1

    def lines(self, ts_ms: int) -> list[str]:
        """The increments since the last call, as lines at `ts_ms`; the counts start again."""
        with self._lock:
            gaps, self._gaps = self._gaps, Counter()
            rejected, self._rejected = self._rejected, Counter()
            # Two lines of one series at the same ms would overwrite each other, losing an
            # increment (a counter since start would lose nothing): never the same ms twice.
            ts_ms = self._last_ms = max(ts_ms, self._last_ms + 1)
        out = [
            self._line(site, agent, {}, {"seq_gaps": n}, ts_ms) for (site, agent), n in gaps.items()
        ]
        out += [
            self._line(site, agent, {s.TAG_REASON: reason}, {"rejected": n}, ts_ms)
            for (site, agent, reason), n in rejected.items()
        ]
        return out

    def _line(
        self, site: str, agent: str, tags: dict[str, str], fields: dict[str, int], ts: int
    ) -> str:
        base = {s.TAG_INSTANCE: self.instance, s.TAG_SITE: site, s.TAG_AGENT: agent}
        return line(s.COLLECTOR_AGENT_STATS, base | tags, fields, ts)
