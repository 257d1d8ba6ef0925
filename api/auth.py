"""Who may read private data: facility managers, households, operators.

- Operators: `Authorization: Bearer <ENERGY_API_ADMIN_TOKEN>`.
- Facility managers: a bearer token per site from ENERGY_API_SITE_TOKENS
  ("site=token,site=token"); it opens that site only.
- Households: a link the city hands out, its token sent as a bearer token or
  as `?token=` (api/links.py: version 3). The token names the household (a
  tenancy of a unit, or a programme household of the registry), its issue
  and expiry dates, the household's link version and the id of the key that
  signed it, all under one MAC. It is refused once expired, once the
  household's links are revoked (a newer link version), once the tenancy has
  ended (move-out), or when its key is no longer configured. What a
  household reads is bounded to its tenancy. Versions 1 (a site) and 2 (a
  household id without date or version) are retired: they are refused with a
  message naming their replacement (`python -m api sign-household`).
Every comparison is constant-time; with no secret configured the door stays shut.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api import links
from api.links import LinkHousehold
from api.problems import forbidden, not_found, unauthorized


class _Bearer(HTTPBearer):
    """A bearer token, or none; an `Authorization` header that is not `Bearer <token>` is
    refused (401) rather than read as no header, which let a session cookie answer for it."""

    async def __call__(self, request: Request) -> HTTPAuthorizationCredentials | None:
        found = await super().__call__(request)
        if found is None and request.headers.get("authorization") is not None:
            raise unauthorized("the Authorization header is not `Bearer <token>`")
        return found


bearer = _Bearer(
    auto_error=False, scheme_name="HTTPBearer", description="bearer token (see api/README.md)"
)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


@dataclass(frozen=True)
class Secrets:
    admin_token: str
    site_tokens: dict[str, str]  # site -> token
    signing_key: str  # the newest key: it signs links, CSRF tokens, edit handles
    # Every key that verifies a link, newest first: (id, key); empty: signing_key as "default".
    signing_keys: tuple[tuple[str, str], ...] = ()

    def keys(self) -> tuple[tuple[str, str], ...]:
        if self.signing_keys:
            return self.signing_keys
        return (("default", self.signing_key),) if self.signing_key else ()


def _same(a: str, b: str) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())


def _secrets(request: Request) -> Secrets:
    return request.app.state.secrets


def _token(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or not credentials.credentials:
        raise unauthorized("a bearer token is required (Authorization: Bearer <token>)")
    return credentials.credentials


def require_admin(request: Request, credentials: Credentials) -> None:
    if not _same(_token(credentials), _secrets(request).admin_token):
        raise unauthorized("the operator token is wrong")


def facility_sites(request: Request, credentials: Credentials) -> set[str]:
    """Sites the bearer token opens (an operator's token opens every site)."""
    token = _token(credentials)
    secrets = _secrets(request)
    if _same(token, secrets.admin_token):
        return (
            set(request.app.state.reference.registry.sites)
            if request.app.state.reference.registry
            else set()
        )
    sites = {site for site, t in secrets.site_tokens.items() if _same(token, t)}
    if not sites:
        raise unauthorized("this token opens no site")
    return sites


def require_site(site: str, sites: set[str]) -> None:
    if site not in sites:
        raise forbidden(f"this token does not open site {site!r}")


TokenQ = Annotated[
    str | None,
    Query(description="the household's signed token, as in the link it was given", max_length=300),
]


def _given(credentials: HTTPAuthorizationCredentials | None, token: str | None) -> str:
    given = credentials.credentials if credentials and credentials.credentials else token
    if not given:
        raise unauthorized("a household token is required (bearer token or ?token=)")
    return given


def household_link(
    request: Request, credentials: Credentials, token: TokenQ = None
) -> LinkHousehold:
    """The household a link opens, checked against its keys, its version and its tenancy;
    401 with the reason (expired, revoked, moved out, retired version) otherwise."""
    try:
        return links.open_link(request, _given(credentials, token))
    except links.LinkRefused as exc:
        raise unauthorized(str(exc)) from None


def household_of(request: Request, credentials: Credentials, token: TokenQ = None) -> LinkHousehold:
    """The household of a link, which must have metered data in the registry (a programme
    household, at its unit or on its own); 404 otherwise."""
    found = household_link(request, credentials, token)
    if found.household is None:
        raise not_found(f"no metered data is registered for unit {found.unit} of {found.site}")
    return found


def household_site(
    request: Request, credentials: Credentials, token: TokenQ = None
) -> LinkHousehold:
    """The household of a link that has a site of its own (kind `household`): its meters are
    that site's; 401 otherwise (an apartment complex's figure is not one household's)."""
    found = household_of(request, credentials, token)
    registry = request.app.state.reference.registry
    site = found.household.site if found.household else None
    if not (site and site in registry.sites and registry.sites[site].kind == "household"):
        raise unauthorized("this household has no site of its own to read")
    return found
