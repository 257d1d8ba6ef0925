"""Live updates as Server-Sent Events (text/event-stream), from the public bucket."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from api.deps import public_store
from api.params import reference
from api.problems import PROBLEM_RESPONSES
from stores import public_data
from stores.influx import PublicStore
from stores.reference import Reference
from telemetry.influxql import InfluxQueryError

router = APIRouter(prefix="/v1", tags=["public"], responses=PROBLEM_RESPONSES)


@router.get(
    "/city/stream",
    summary="City live totals as Server-Sent Events",
    description="An `event: live` with the body of /v1/city/live every few seconds "
    "(config `stream_interval_s`), `id` = the minute shown; `: keep-alive` comments in "
    "between. `max_events` ends the stream after that many events (for scripts).",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {"example": "event: live\nid: ...\ndata: {...}\n\n"}}
        }
    },
)
async def city_stream(
    request: Request,
    store: Annotated[PublicStore, Depends(public_store)],
    ref: Annotated[Reference, Depends(reference)],
    max_events: Annotated[
        int | None, Query(ge=1, le=100_000, description="stop after this many events")
    ] = None,
) -> StreamingResponse:
    interval = request.app.state.config.stream_interval_s
    return StreamingResponse(
        _events(request, store, ref, interval, max_events),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _events(
    request: Request, store: PublicStore, ref: Reference, interval: float, max_events: int | None
) -> AsyncIterator[str]:
    sent = 0
    yield "retry: 5000\n\n"
    while max_events is None or sent < max_events:
        if await request.is_disconnected():
            return
        try:
            snapshot = await run_in_threadpool(public_data.live, store, ref)
            yield f"event: live\nid: {snapshot.minute or ''}\ndata: {snapshot.model_dump_json()}\n\n"
        except InfluxQueryError:
            yield 'event: error\ndata: {"detail": "data store unavailable"}\n\n'
        sent += 1
        if max_events is not None and sent >= max_events:
            return
        await asyncio.sleep(interval)
