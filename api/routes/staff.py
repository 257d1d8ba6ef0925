"""Staff sign-in, sign-out, who am I, the audit log (administrators) with its CSV export, and
the last imports' receipts (operators).

Sign-in is limited per address and per name (like redeeming a code), refused
from another origin, and recorded, refusals included (actor `anonymous`).
Reading the audit log needs the administrator role (or the machines' token):
it names every staff member's actions, so it is oversight, not a work queue.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from api.params import private_no_store
from api.problems import AUTH_RESPONSES, PROBLEM_RESPONSES, answers_as, problems
from api.staff_auth import (
    Administrator,
    Operator,
    Principal,
    check_write,
    clear_cookie,
    csrf_for,
    principal,
    session_of,
    sign_in,
    staff_principal,
    staff_state,
)
from staff.accounts import MAX_PASSWORD, StaffUser
from stores.timewin import ISO_TIME, parse_time
from telemetry.db import audit, import_receipts

router = APIRouter(
    prefix="/v1/staff",
    tags=["staff"],
    dependencies=[Depends(private_no_store)],
    # 429: sign-in tries per address and per name.
    responses={**PROBLEM_RESPONSES, **AUTH_RESPONSES, **problems(429)},
)
MAX_EXPORT = 100_000


class SignIn(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=MAX_PASSWORD)


class Me(BaseModel):
    actor: str = Field(examples=["staff:kim"])
    name: str | None = Field(description="the staff account's name (None: the machines' token)")
    display_name: str | None
    roles: list[str]
    sites: list[str] | None = Field(description="sites it opens (None: every site)")
    csrf_token: str | None = Field(description="send it as X-CSRF-Token with every staff write")
    expires_at: datetime | None


class AuditEntry(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    target_kind: str
    target_id: str | None
    detail: dict[str, Any]


class AuditPage(BaseModel):
    entries: list[AuditEntry]
    total: int


class MeterCounts(BaseModel):
    stored: int = Field(ge=0, description="readings the collector stored")
    refused: dict[str, int] = Field(description="reason -> readings refused")


class ImportEntry(BaseModel):
    import_id: str
    site: str
    household: str | None = Field(description="greenbutton's household (None: other formats)")
    agent: str = Field(description="the importer agent that published it")
    file: str = Field(description="the imported file's name")
    format: str = Field(examples=["greenbutton", "bills", "kapt"])
    started_at: datetime
    finished_at: datetime = Field(description="when the last batch's receipt was in")
    meters: dict[str, MeterCounts] = Field(description="per meter, what was stored and refused")
    details: dict[str, str] = Field(description="reason -> an example of it")
    exit_status: int = Field(description="the importer's exit status: 0, or 2 if any refused")


class ImportsPage(BaseModel):
    imports: list[ImportEntry] = Field(description="newest first")


def me_of(request: Request, who: Principal) -> Me:
    user: StaffUser | None = who.session.user if who.session else None
    return Me(
        actor=who.actor,
        name=user.name if user else None,
        display_name=user.display_name if user else None,
        roles=list(who.roles),
        sites=sorted(who.sites) if who.sites is not None else None,
        csrf_token=csrf_for(request, who),
        expires_at=who.session.expires_at if who.session else None,
    )


@router.post("/signin", response_model=Me, summary="Sign in with a staff name and password")
def signin(body: SignIn, request: Request, response: Response) -> Me:
    return me_of(request, sign_in(request, response, body.name, body.password))


@router.post("/signout", status_code=204, summary="End this staff session")
def signout(request: Request) -> Response:
    found = session_of(request)
    if found is not None:
        check_write(request, staff_principal(found), request.headers.get("x-csrf-token"))
        staff_state(request).sessions.revoke(found.id)
    out = Response(status_code=204)
    clear_cookie(out)
    return out


@router.get("/me", response_model=Me, summary="Who this credential is, its roles and CSRF token")
def me(request: Request, who: Annotated[Principal, Depends(principal)]) -> Me:
    return me_of(request, who)


def audit_filter(
    actor: Annotated[
        str | None,
        Query(max_length=80, description="an actor (`staff:kim`), or `staff:` for all staff"),
    ] = None,
    action: Annotated[
        str | None,
        Query(max_length=48, description="an action (`answer.publish`) or its family (`answer`)"),
    ] = None,
    target: Annotated[
        str | None, Query(max_length=120, description="a target kind (`post`) or `kind:id`")
    ] = None,
    since: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=40,
            description="entries from this time on (ISO 8601; no offset = KST)",
            json_schema_extra=ISO_TIME,
        ),
    ] = None,
) -> audit.Filter:
    # Parsed as every time parameter is (a number is no date, whatever pydantic would make of it).
    at = parse_time(since, "since") if since else None
    return audit.Filter(actor or None, action or None, target or None, at)


Filtered = Annotated[audit.Filter, Depends(audit_filter)]


@router.get("/audit", response_model=AuditPage, summary="The audit log, newest first")
def audit_log(
    request: Request,
    _who: Administrator,
    f: Filtered,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> AuditPage:
    with staff_state(request).accounts.engine.connect() as conn:
        rows = audit.entries(conn, f, limit, offset)
        total = audit.count(conn, f)
    return AuditPage(entries=[AuditEntry(**r) for r in rows], total=total)


@router.get(
    "/audit.csv",
    response_class=Response,
    responses=answers_as("text/csv"),
    summary="The audit log as CSV",
)
def audit_csv(request: Request, _who: Administrator, f: Filtered) -> Response:
    with staff_state(request).accounts.engine.connect() as conn:
        rows = audit.entries(conn, f, MAX_EXPORT, 0)
    return Response(
        audit.to_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="audit-log.csv"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


@router.get(
    "/imports",
    response_model=ImportsPage,
    summary="The last imports and their receipts, newest first (operators)",
    description="Imports kept in the platform database (`python -m importers` with a "
    "database URL); an importer without one keeps them in its state dir only. 401 without "
    "a staff credential, 403 without the operator (or administrator) role.",
)
def imports(
    request: Request,
    _who: Operator,
    last: Annotated[int, Query(ge=1, le=500, description="how many of the last imports")] = 20,
) -> ImportsPage:
    with staff_state(request).accounts.engine.connect() as conn:
        rows = import_receipts.last(conn, last)
    return ImportsPage(imports=[ImportEntry.model_validate(r, from_attributes=True) for r in rows])
