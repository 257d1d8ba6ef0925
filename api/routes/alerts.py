"""Alerts from the platform database: list, read, acknowledge; silences (operators).

Facility managers see and acknowledge the alerts of their own sites (their
site token, or a staff account with the facility_manager role); operators
(the operator role, or the machines' admin token) see every alert, including
those of no site (an agent's), and manage silences. Who acknowledged or
silenced is the credential's actor (`staff:<name>`, `site:<site>`,
`machine:admin-token`), recorded in the audit log in the same transaction;
a name in the body is not believed. The rows are the ones `python -m
alerts` keeps (telemetry.db.tables); this module only reads them, records
acknowledgements and edits silences.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy import Engine, select

from api import staff_auth
from api.auth import Credentials
from api.params import private_no_store
from api.problems import (
    AUTH_RESPONSES,
    PROBLEM_RESPONSES,
    ApiProblem,
    conflict,
    forbidden,
    not_found,
    problems,
)
from api.staff_auth import Principal
from telemetry.alert_events import ACKNOWLEDGED, AlertChange
from telemetry.db import audit
from telemetry.db.alert_ack import acknowledge_row
from telemetry.db.silences import delete_silence, insert_silence
from telemetry.db.tables import alert_silences, alerts

router = APIRouter(
    dependencies=[Depends(private_no_store)],
    prefix="/v1/alerts",
    tags=["alerts"],
    responses={**PROBLEM_RESPONSES, **AUTH_RESPONSES},
)

Severity = Literal["critical", "major", "minor", "warning"]
State = Literal["active_unacked", "active_acked", "cleared_unacked", "cleared_acked"]
Label = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")]
Ident = r"^[a-z0-9][a-z0-9._-]{0,63}$"


class Alert(BaseModel):
    id: int
    rule: str = Field(examples=["water-leak"])
    originator: str = Field(
        examples=["meter:apt/b1-water"], description="meter:<site>/<meter> or agent:<agent>"
    )
    site: str | None
    severity: Severity
    state: State
    fired_at: datetime | None
    cleared_at: datetime | None
    acked_at: datetime | None
    acked_by: str | None
    ack_note: str | None
    last_value: float | None = Field(description="the rule's value at the last pass")
    labels: dict[str, str]
    updated_at: datetime


class AlertList(BaseModel):
    alerts: list[Alert]
    total: int = Field(description="alerts matching the filters, before limit and offset")


class Ack(BaseModel):
    by: str | None = Field(
        default=None,
        max_length=64,
        description="ignored: who acknowledges is taken from the credential",
        deprecated=True,
    )
    note: str = Field(min_length=1, max_length=2000, examples=["valve closed, plumber called"])


class SilenceIn(BaseModel):
    matchers: dict[Label, Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        min_length=1,
        max_length=20,
        description="label → value; an alert is silenced when every matcher equals its label",
        examples=[{"site": "hanam-ic"}],
        # Labels are the keys the pattern names, and no others.
        json_schema_extra={"additionalProperties": False},
    )
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    created_by: str | None = Field(
        default=None,
        max_length=80,
        description="ignored on input: the credential's actor is recorded",
    )
    comment: str = Field(min_length=1, max_length=2000)


class Silence(SilenceIn):
    id: int
    created_at: datetime
    active: bool = Field(description="in force now")


def _db(request: Request) -> Engine:
    return request.app.state.db  # mounted only when the app has one (api/app.py)


def viewer(request: Request, credentials: Credentials) -> tuple[Principal, set[str] | None]:
    """Who reads or acknowledges, and the sites it sees (None: every alert, agents' too).

    The admin token and staff with the operator role see all; a facility manager's
    staff account or site token its own sites."""
    token = credentials.credentials if credentials and credentials.credentials else None
    if token is None:
        who = staff_auth.principal(request, credentials)
        if who.allows("operator"):
            return who, None
        return who, staff_auth.facility_sites(request, credentials)
    if staff_auth.is_admin_token(request, token):
        return staff_auth.machine_used(request), None
    sites = staff_auth.facility_sites(request, credentials)
    return Principal(
        audit.site(",".join(sorted(sites))), ("facility_manager",), frozenset(sites)
    ), sites


def viewer_sites(
    found: Annotated[tuple[Principal, set[str] | None], Depends(viewer)],
) -> set[str] | None:
    return found[1]


Db = Annotated[Engine, Depends(_db)]
Viewer = Annotated[set[str] | None, Depends(viewer_sites)]
Who = Annotated[tuple[Principal, set[str] | None], Depends(viewer)]
IdP = Annotated[int, Path(ge=1, le=2**31 - 1, description="alert id")]


@router.get("", response_model=AlertList, summary="Alerts, newest first, filtered")
def list_alerts(
    db: Db,
    sites: Viewer,
    state: Annotated[list[State] | None, Query(description="any of these states")] = None,
    severity: Annotated[list[Severity] | None, Query()] = None,
    site: Annotated[str | None, Query(pattern=Ident)] = None,
    rule: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> AlertList:
    if site is not None and sites is not None and site not in sites:
        raise forbidden(f"this token does not open site {site!r}")
    query = select(alerts).where(alerts.c.state.is_not(None))
    if sites is not None:
        query = query.where(alerts.c.site.in_(sorted(sites)))
    if state:
        query = query.where(alerts.c.state.in_(state))
    if severity:
        query = query.where(alerts.c.severity.in_(severity))
    if site is not None:
        query = query.where(alerts.c.site == site)
    if rule is not None:
        query = query.where(alerts.c.rule == rule)
    with db.connect() as conn:
        rows = conn.execute(query.order_by(alerts.c.fired_at.desc(), alerts.c.id.desc())).all()
    page = rows[offset : offset + limit]
    return AlertList(alerts=[_alert(row._mapping) for row in page], total=len(rows))


@router.get("/{alert_id}", response_model=Alert, summary="One alert")
def one_alert(db: Db, sites: Viewer, alert_id: IdP) -> Alert:
    with db.connect() as conn:
        return _alert(_visible(conn, alert_id, sites))


@router.post("/{alert_id}/ack", response_model=Alert, summary="Acknowledge an alert, with a note")
def acknowledge(
    request: Request,
    db: Db,
    found: Who,
    alert_id: IdP,
    ack: Ack,
    x_csrf_token: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Alert:
    who, sites = found
    staff_auth.check_write(request, who, x_csrf_token)
    now = _now()
    with db.begin() as conn:
        row = _visible(conn, alert_id, sites)
        # A site token acts for the alert's own site.
        actor = audit.site(row["site"]) if who.actor.startswith(audit.SITE_PREFIX) else who.actor
        done = acknowledge_row(conn, alert_id, audit.shown(actor)[:64], ack.note, now, sites)
        if done is None:
            raise ApiProblem(
                409,
                "Nothing to acknowledge",
                f"alert {alert_id} is {row['state']}: only an unacknowledged alert is acknowledged",
                kind="/problems/already-acknowledged",
            )
        audit.record(conn, actor, "alert.ack", "alert", alert_id, {"note": ack.note}, now)
    # After the commit, best effort: the database is the record, the boards a view.
    events = request.app.state.alert_events
    if events is not None:
        events.write([AlertChange.from_row(done, ACKNOWLEDGED)], now)
    return _alert(done)


silences = APIRouter(
    dependencies=[Depends(private_no_store)],
    prefix="/v1/alert-silences",
    tags=["alerts"],
    responses={**PROBLEM_RESPONSES, **AUTH_RESPONSES},
)


@silences.get("", response_model=list[Silence], summary="Silences (maintenance windows)")
def list_silences(
    db: Db,
    _who: staff_auth.Operator,
    expired: Annotated[bool, Query(description="also those that ended")] = False,
) -> list[Silence]:
    now = _now()
    query = select(alert_silences).order_by(alert_silences.c.starts_at, alert_silences.c.id)
    if not expired:
        query = query.where(alert_silences.c.ends_at > now)
    with db.connect() as conn:
        return [_silence(row._mapping, now) for row in conn.execute(query)]


@silences.post(
    "",
    response_model=Silence,
    status_code=201,
    summary="Add a silence",
    responses=problems(409),
)
def add_silence(
    db: Db, who: staff_auth.Operator, silence: SilenceIn, response: Response
) -> Silence:
    if silence.ends_at <= silence.starts_at:  # two valid times that do not fit together
        raise conflict("ends_at must be after starts_at", "ends_at")
    now = _now()
    values = silence.model_dump() | {"created_at": now, "created_by": audit.shown(who.actor)[:64]}
    with db.begin() as conn:
        new_id = insert_silence(conn, **values)
        audit.record(conn, who.actor, "silence.add", "silence", new_id,
                     {"matchers": silence.matchers, "starts_at": silence.starts_at.isoformat(),
                      "ends_at": silence.ends_at.isoformat(), "comment": silence.comment}, now)  # fmt: skip
    response.headers["Location"] = f"/v1/alert-silences/{new_id}"
    return _silence(values | {"id": new_id}, now)


@silences.delete("/{silence_id}", status_code=204, summary="Remove a silence")
def remove_silence(
    db: Db, who: staff_auth.Operator, silence_id: Annotated[int, Path(ge=1, le=2**31 - 1)]
) -> Response:
    with db.begin() as conn:
        gone = delete_silence(conn, silence_id)
        if gone:
            audit.record(conn, who.actor, "silence.remove", "silence", silence_id, None, _now())
    if not gone:
        raise not_found(f"no silence {silence_id}")
    return Response(status_code=204)


def _visible(conn: Any, alert_id: int, sites: set[str] | None) -> Any:
    """The alert's row if it exists, has fired and the viewer may see it; else 404.

    Another site's alert is "not found" too: a facility token learns nothing of it.
    """
    query = select(alerts).where(alerts.c.id == alert_id, alerts.c.state.is_not(None))
    if sites is not None:
        query = query.where(alerts.c.site.in_(sorted(sites)))
    row = conn.execute(query).mappings().first()
    if row is None:
        raise not_found(f"no alert {alert_id} for this token")
    return row


def _alert(row: Any) -> Alert:
    return Alert.model_validate({k: row[k] for k in Alert.model_fields})


def _silence(row: Any, now: datetime) -> Silence:
    fields = {k: row[k] for k in Silence.model_fields if k != "active"}
    return Silence(**fields, active=row["starts_at"] <= now < row["ends_at"])


def _now() -> datetime:
    return datetime.now(UTC)
