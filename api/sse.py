"""The snapshot streams' one loop (Server-Sent Events): the city's live totals, a site's
meters, the operators' fleet. Each names how to render one event; the loop owns the rest."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from api import staff_auth
from telemetry.influxql import InfluxQueryError

STORE_DOWN = 'event: error\ndata: {"detail": "data store unavailable"}\n\n'
STAFF_SESSION_ENDED = 'event: ended\ndata: {"detail": "the staff session has ended"}\n\n'
# Staff pages' streams: never cached, never indexed.
STAFF_STREAM_HEADERS = {
    "Cache-Control": "private, no-store",
    "X-Accel-Buffering": "no",
    "X-Robots-Tag": "noindex",
}


async def snapshots(
    request: Request,
    render: Callable[[], str],
    interval: float,
    max_events: int | None,
    ended: Callable[[], str | None] | None = None,
) -> AsyncIterator[str]:
    """A retry hint, then every `interval` s the event `render` gives (in a worker thread:
    it reads the store), or STORE_DOWN when the store does not answer. It stops when the
    client goes, after `max_events`, or when `ended()` gives a closing event (sent last)."""
    sent = 0
    yield "retry: 5000\n\n"
    while max_events is None or sent < max_events:
        if await request.is_disconnected():
            return
        if ended is not None and (closing := ended()) is not None:
            yield closing
            return
        try:
            yield await run_in_threadpool(render)
        except InfluxQueryError:
            yield STORE_DOWN
        sent += 1
        if max_events is not None and sent >= max_events:
            return
        await asyncio.sleep(interval)


def staff_session_ended(request: Request) -> Callable[[], str | None]:
    """For `ended`: the staff stream closes once its session has (signed out or expired)."""
    return lambda: None if staff_auth.session_of(request) is not None else STAFF_SESSION_ENDED
