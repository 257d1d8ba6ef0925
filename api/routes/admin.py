"""Operators (the operator role, or the machines' admin token): agent status and rejected-message
counts."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from api.deps import private_store
from api.params import EndQ, StartQ, private_no_store, reference, say_window
from api.problems import AUTH_RESPONSES, PROBLEM_RESPONSES
from api.staff_auth import operator
from stores import private_data
from stores.influx import PrivateStore
from stores.reference import Reference
from stores.timewin import span

router = APIRouter(
    prefix="/v1/admin",
    tags=["operators"],
    dependencies=[Depends(operator), Depends(private_no_store)],
    responses={**PROBLEM_RESPONSES, **AUTH_RESPONSES},
)
Store = Annotated[PrivateStore, Depends(private_store)]


class AgentState(BaseModel):
    site: str
    agent: str
    state: str = Field(description="online, offline, or unknown (never reported)")
    last_seen: str | None = None
    age_s: float | None = None
    details: dict[str, Any] = Field(default_factory=dict, description="the last status fields")


class RejectedCounts(BaseModel):
    start: str
    end: str
    total: int
    by_reason: dict[str, int]


@router.get("/agents", response_model=list[AgentState], summary="Edge agents and their last status")
def agents(store: Store, ref: Annotated[Reference, Depends(reference)]) -> list[AgentState]:
    seen = {(r.get("site"), r.get("agent")): r for r in private_data.agents(store)}
    known = (
        {(s.id, a.id) for s in ref.registry.sites.values() for a in s.agents}
        if ref.registry
        else set()
    )
    out = []
    for site, agent in sorted(set(seen) | known, key=lambda k: (str(k[0]), str(k[1]))):
        row = seen.get((site, agent))
        if row is None:
            out.append(AgentState(site=site, agent=agent, state="unknown"))
            continue
        details = {
            k: v for k, v in row.items() if k not in ("time", "site", "agent") and v is not None
        }
        out.append(
            AgentState(
                site=str(site),
                agent=str(agent),
                state=str(row.get("state", "unknown")),
                last_seen=private_data.iso(row["time"]),
                age_s=round(private_data.age_s(row["time"]), 1),
                details=details,
            )
        )
    return out


@router.get(
    "/rejected",
    response_model=RejectedCounts,
    summary="Rejected messages per reason (default: the last 24 hours)",
)
def rejected(
    store: Store, response: Response, start: StartQ = None, end: EndQ = None
) -> RejectedCounts:
    s = span(start, end, dt.timedelta(days=92), dt.timedelta(days=1))
    say_window(response, s)
    t_start, t_end = s.start, s.end
    counts = private_data.rejected(store, t_start, t_end)
    return RejectedCounts(
        start=t_start.isoformat(),
        end=t_end.isoformat(),
        total=sum(counts.values()),
        by_reason=counts,
    )
