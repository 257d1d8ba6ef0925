"""Live updates as Server-Sent Events (text/event-stream), from the public bucket."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from api.deps import public_store
from api.params import reference
from api.problems import PROBLEM_RESPONSES
from api.sse import snapshots
from stores import public_data
from stores.influx import PublicStore
from stores.reference import Reference

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
        snapshots(request, lambda: _render(store, ref), interval, max_events),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _render(store: PublicStore, ref: Reference) -> str:
    snapshot = public_data.live(store, ref)
    return f"event: live\nid: {snapshot.minute or ''}\ndata: {snapshot.model_dump_json()}\n\n"
