"""The agent's retained status message (telemetry.models.AgentStatus)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime

from edge_agent.outbox import OutboxStats
from edge_agent.poller import MeterPoller
from telemetry import __version__, clock
from telemetry.models import AgentState, AgentStatus


def build_status(
    pollers: Sequence[MeterPoller],
    stats: OutboxStats,
    last_error: str | None,
    now: float | None = None,
) -> AgentStatus:
    # The status is stamped on the platform's clock; the outbox's ages are wall time.
    stamp = clock.now() if now is None else now
    wall = time.time() if now is None else now
    oldest = None if stats.oldest_created is None else max(0.0, wall - stats.oldest_created)
    return AgentStatus(
        state=AgentState.ONLINE,
        ts=datetime.fromtimestamp(stamp, UTC),
        version=__version__,
        meters=len(pollers),
        meters_failing=sorted(p.meter.id for p in pollers if p.health.failing),
        outbox_depth=stats.depth,
        outbox_oldest_age_s=round(oldest, 3) if oldest is not None else None,
        dropped_batches=stats.dropped,
        last_error=last_error[:1000] if last_error else None,
    )
