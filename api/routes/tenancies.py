"""Staff routes for who lives in a unit (role operator or code_issuer): move-in, move-out,
the site's tenancies, and household links (sign one, revoke one household's).

Units are taken as written ("101동 1203호") and resolved by the registry; an
unknown unit is a 400 naming the closest units. Every change and every
signed link is in the audit log under the credential's actor, in the
change's transaction. Like every staff write: the staff session's CSRF token
in `X-CSRF-Token`, or the machines' bearer token.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from api import links
from api.guards import board_clock, platform_db, small_body
from api.problems import AUTH_RESPONSES, PROBLEM_RESPONSES, ApiProblem, bad_request, not_found
from api.staff_auth import Principal, require_role
from civic.board import tenancy
from telemetry.db import audit, tenancies
from telemetry.registry import Registry
from telemetry.registry.units import UnitNotFound

router = APIRouter(
    prefix="/v1/staff",
    tags=["staff: tenancies and links"],
    responses=PROBLEM_RESPONSES | AUTH_RESPONSES,
)
tenancy_staff = require_role("operator", "code_issuer")
Staff = Annotated[Principal, Depends(tenancy_staff)]
UnitText = Annotated[str, Field(min_length=1, max_length=40, description='as written: "101-1203"')]


class UnitMove(BaseModel):
    site: str = Field(max_length=64)
    unit: UnitText
    date: dt.date | None = Field(default=None, description="the day (Korea); default today")


class TenancyView(BaseModel):
    id: int
    site: str
    unit: str
    moved_in: dt.date
    moved_out: dt.date | None


class MovedOutView(TenancyView):
    codes_cancelled: int
    sessions_ended: int


class LinkTarget(BaseModel):
    """A unit's current household (site and unit), or a programme household not at a unit."""

    # The rule _one checks, stated in the schema: site and unit, or household, not both.
    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {
                    "required": ["site", "unit"],
                    "properties": {"site": {"type": "string"}, "unit": {"type": "string"}},
                    "not": {
                        "required": ["household"],
                        "properties": {"household": {"type": "string"}},
                    },
                },
                {
                    "required": ["household"],
                    "properties": {"household": {"type": "string"}},
                    "not": {
                        "required": ["site", "unit"],
                        "properties": {"site": {"type": "string"}, "unit": {"type": "string"}},
                    },
                },
            ]
        }
    )

    site: str | None = Field(default=None, max_length=64)
    unit: UnitText | None = None
    household: str | None = Field(default=None, max_length=64)

    @model_validator(mode="after")
    def _one(self) -> LinkTarget:
        if (self.household is None) == (self.site is None or self.unit is None):
            raise ValueError("give either site and unit, or household")
        return self


class SignedLink(BaseModel):
    token: str
    expires: dt.date
    page: str = Field(description="the household page's path with the token")


class LinksRevoked(BaseModel):
    link_version: int


def _registry(request: Request) -> Registry:
    registry: Registry | None = request.app.state.reference.registry
    if registry is None:
        raise ApiProblem(503, "No registry", "this server has no registry loaded")
    return registry


def resolve_unit(request: Request, site: str, spelling: str) -> str:
    """The unit id a spelling names at the site; 404 for a site without units, 400 with the
    closest units for an unknown unit."""
    registry = _registry(request)
    if site not in registry.units:
        raise not_found(f"site {site!r} lists no units")
    try:
        return registry.resolve_unit(site, spelling)
    except UnitNotFound as exc:
        raise bad_request(str(exc), "unit") from None


def _today(request: Request) -> dt.date:
    return links.today(request)


def _view(t: tenancies.Tenancy) -> TenancyView:
    return TenancyView(id=t.id, site=t.site, unit=t.unit, moved_in=t.moved_in,
                       moved_out=t.moved_out)  # fmt: skip


@router.post(
    "/tenancies/move-in",
    response_model=TenancyView,
    status_code=201,
    summary="Record a new household in a unit",
    dependencies=[Depends(small_body)],
)
def move_in(body: UnitMove, request: Request, who: Staff) -> TenancyView:
    unit = resolve_unit(request, body.site, body.unit)
    try:
        made = tenancy.move_in(platform_db(request), who.actor, body.site, unit,
                               body.date or _today(request), board_clock(request)())  # fmt: skip
    except tenancy.TenancyError as exc:
        raise ApiProblem(409, "Tenancy conflict", str(exc)) from None
    return _view(made)


@router.post(
    "/tenancies/move-out",
    response_model=MovedOutView,
    summary="Record that a unit's household moved out",
    description="Its codes are cancelled, its sessions end and its links stop.",
    dependencies=[Depends(small_body)],
)
def move_out(body: UnitMove, request: Request, who: Staff) -> MovedOutView:
    unit = resolve_unit(request, body.site, body.unit)
    try:
        done = tenancy.move_out(platform_db(request), who.actor, body.site, unit,
                                body.date or _today(request), board_clock(request)())  # fmt: skip
    except tenancy.TenancyError as exc:
        raise ApiProblem(409, "Tenancy conflict", str(exc)) from None
    return MovedOutView(**_view(done.tenancy).model_dump(), codes_cancelled=done.codes_cancelled,
                        sessions_ended=done.sessions_ended)  # fmt: skip


@router.get("/tenancies", response_model=list[TenancyView], summary="A site's tenancies")
def list_tenancies(
    request: Request,
    _who: Staff,
    site: Annotated[str, Query(max_length=64)],
    current: bool = False,
) -> list[TenancyView]:
    with platform_db(request).connect() as conn:
        return [_view(t) for t in tenancies.of_site(conn, site, open_only=current)]


def _target(request: Request, body: LinkTarget) -> tuple[str, tenancies.Tenancy | None]:
    """(link subject, tenancy) of a link target; a registry household at a unit is its unit's
    tenancy."""
    registry = _registry(request)
    site, spelling = body.site, body.unit
    if body.household is not None:
        found = registry.households.households.get(body.household)
        if found is None:
            raise not_found(f"no household {body.household!r}")
        if found.unit is None:
            return links.household_subject(found.id), None
        site, spelling = found.site, found.unit
    unit = resolve_unit(request, site or "", spelling or "")
    with platform_db(request).connect() as conn:
        current = tenancies.current(conn, site or "", unit)
    if current is None:
        raise ApiProblem(409, "No current tenant", f"unit {unit} of {site} has no current tenant")
    return links.tenancy_subject(current.id), current


@router.post(
    "/links/sign",
    response_model=SignedLink,
    summary="Sign a household's link (shown once; audited)",
    dependencies=[Depends(small_body)],
)
def sign_link(body: LinkTarget, request: Request, response: Response, who: Staff) -> SignedLink:
    subject, current = _target(request, body)
    engine = platform_db(request)
    today = _today(request)
    lifetime = request.app.state.config.household_links.lifetime_days
    with engine.begin() as conn:
        version = (
            current.link_version
            if current is not None
            else tenancies.household_link_version(conn, subject[len(links.HOUSEHOLD) :])
        )
        audit.record(conn, who.actor, "links.sign", "tenancy" if current else "household",
                     current.id if current else subject[len(links.HOUSEHOLD) :],
                     {"link_version": version})  # fmt: skip
    keys = request.app.state.secrets.keys()
    if not keys:
        raise ApiProblem(503, "No signing key", "ENERGY_API_SIGNING_KEYS is not set")
    token = links.sign(keys, subject, today, lifetime, version)
    response.headers["Cache-Control"] = "no-store"
    return SignedLink(
        token=token,
        expires=today + dt.timedelta(days=lifetime),
        page=f"/household?token={token}",
    )


@router.post(
    "/links/revoke",
    response_model=LinksRevoked,
    summary="Revoke one household's links",
    description="Every link of this household issued so far is refused; other households' "
    "links are untouched. Sign it a new one with /v1/staff/links/sign.",
    dependencies=[Depends(small_body)],
)
def revoke_links(body: LinkTarget, request: Request, who: Staff) -> LinksRevoked:
    subject, current = _target(request, body)
    engine, now = platform_db(request), board_clock(request)()
    if current is not None:
        return LinksRevoked(link_version=tenancy.revoke_links(engine, who.actor, current.id, now))
    household = subject[len(links.HOUSEHOLD) :]
    return LinksRevoked(
        link_version=tenancy.revoke_household_links(engine, who.actor, household, now)
    )
