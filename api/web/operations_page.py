"""The operators' fleet page (HTML) for staff with the operator role (or administrators):
every agent with its state, last status and last batch, outbox backlog, dropped batches,
meters not heard from; rejected messages by reason over the last hour; the collectors'
figures; a link to each site's page. Updated by SSE (`/operations/stream`).

Figures come from `stores/operations_live.py`, whose queries are the Grafana operations
board's (telemetry/facility_queries.py). Only the staff cookie opens the page (as for the
facility pages); a facility manager gets 403. Pages are `private, no-store`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from api import staff_auth
from api.deps import private_store
from api.params import reference
from api.problems import forbidden, unauthorized
from api.staff_auth import Principal
from api.web.routes import Lang
from api.web.staff_pages import signed_in, staff_page, to_sign_in
from stores import operations_live
from stores.influx import PrivateStore
from stores.reference import Reference
from telemetry.influxql import InfluxQueryError

router = APIRouter(include_in_schema=False)
Store = Annotated[PrivateStore, Depends(private_store)]
Ref = Annotated[Reference, Depends(reference)]
OPERATOR = "operator"


def snapshot(store: PrivateStore, ref: Reference) -> dict[str, Any]:
    assert ref.registry is not None
    f = operations_live.fleet(store, ref.registry)
    return {
        "at_ms": f.at_ms,
        "agents": [asdict(a) | {"down": a.down} for a in f.agents],
        "offline": f.offline,
        "rejected": f.rejected,
        "collectors": f.collectors,
    }


def _operator_or_refuse(request: Request) -> Principal:
    who = signed_in(request)
    if who is None:
        raise unauthorized("sign in as staff at /staff/signin")
    if not who.allows(OPERATOR):
        raise forbidden("the operations page needs the operator role")
    return who


@router.get("/operations", response_class=HTMLResponse)
def operations_page(request: Request, store: Store, ref: Ref, lang: Lang = None) -> Response:
    who = signed_in(request)
    if who is None:
        return to_sign_in(lang, "/operations")
    if not who.allows(OPERATOR):
        context = {"error": "the operations page needs the operator role", "now": None}
        return staff_page(request, "operations.html", lang, context, who, 403)
    context = {"error": None, "now": snapshot(store, ref), "stream_href": "/operations/stream"}
    return staff_page(request, "operations.html", lang, context, who)


@router.get("/operations/stream")
async def operations_stream(
    request: Request,
    store: Store,
    ref: Ref,
    max_events: Annotated[int | None, Query(ge=1, le=100_000)] = None,
) -> StreamingResponse:
    """`event: fleet` with the page's snapshot (JSON) every `stream_interval_s`."""
    _operator_or_refuse(request)
    interval = request.app.state.config.stream_interval_s
    return StreamingResponse(
        _events(request, store, ref, interval, max_events),
        media_type="text/event-stream",
        headers={
            "Cache-Control": "private, no-store",
            "X-Accel-Buffering": "no",
            "X-Robots-Tag": "noindex",
        },
    )


async def _events(
    request: Request, store: PrivateStore, ref: Reference, interval: float, max_events: int | None
) -> AsyncIterator[str]:
    sent = 0
    yield "retry: 5000\n\n"
    while max_events is None or sent < max_events:
        if await request.is_disconnected():
            return
        if staff_auth.session_of(request) is None:
            yield 'event: ended\ndata: {"detail": "the staff session has ended"}\n\n'
            return
        try:
            data = await run_in_threadpool(snapshot, store, ref)
            yield f"event: fleet\nid: {data['at_ms']}\ndata: {json.dumps(data)}\n\n"
        except InfluxQueryError:
            yield 'event: error\ndata: {"detail": "data store unavailable"}\n\n'
        sent += 1
        if max_events is not None and sent >= max_events:
            return
        await asyncio.sleep(interval)
