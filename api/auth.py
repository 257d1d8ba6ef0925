"""Who may read private data: facility managers, households, operators.

- Operators: `Authorization: Bearer <ENERGY_API_ADMIN_TOKEN>`.
- Facility managers: a bearer token per site from ENERGY_API_SITE_TOKENS
  ("site=token,site=token"); it opens that site only.
- Households: a signed token that only that household holds, sent as a bearer
  token or as `?token=` in the link the city hands out. Version 2 names the
  household: `<household>.<signature>`, signature = base64url(HMAC-SHA256(
  ENERGY_API_SIGNING_KEY, "household:v2:<household>")) (`python -m api
  sign-household --household ID`), so households in an apartment complex or
  without any site have one too. Version 1 names a site of kind `household`
  (`"household:v1:<site>"`, `python -m api sign-household SITE`); its
  household is the one living at that site. Who is asked about comes from the
  token itself, so a household can never name another's.
Every comparison is constant-time; with no secret configured the door stays shut.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.problems import forbidden, unauthorized
from telemetry.registry import Registry
from telemetry.registry.households import Household

bearer = HTTPBearer(auto_error=False, description="bearer token (see api/README.md)")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


@dataclass(frozen=True)
class Secrets:
    admin_token: str
    site_tokens: dict[str, str]  # site -> token
    signing_key: str


def _same(a: str, b: str) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())


def _signed(version: str, subject: str, key: str) -> str:
    message = f"household:{version}:{subject}".encode()
    digest = hmac.new(key.encode(), message, hashlib.sha256).digest()
    return f"{subject}.{base64.urlsafe_b64encode(digest).decode().rstrip('=')}"


def sign_household(site: str, key: str) -> str:
    """A version-1 token: it names the household's own site (kind `household`)."""
    return _signed("v1", site, key)


def sign_household_id(household: str, key: str) -> str:
    """A version-2 token: it names the household itself."""
    return _signed("v2", household, key)


def verify_household(token: str, key: str) -> str | None:
    """The household's site when the token is a right version-1 one, else None."""
    site, _, _sig = token.rpartition(".")
    if not site or not key:
        return None
    return site if _same(token, sign_household(site, key)) else None


def verify_household_id(token: str, key: str) -> str | None:
    """The household's id when the token is a right version-2 one, else None."""
    household, _, _sig = token.rpartition(".")
    if not household or not key:
        return None
    return household if _same(token, sign_household_id(household, key)) else None


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


def _own_site(registry: Registry | None, site: str | None) -> bool:
    # Only a household's own site: an apartment complex's figure is not one household's.
    return (
        registry is not None
        and site is not None
        and site in registry.sites
        and registry.sites[site].kind == "household"
    )


def household_site(request: Request, credentials: Credentials, token: TokenQ = None) -> str:
    """The household's own site (kind `household`), from a version-1 or version-2 token."""
    given, key = _given(credentials, token), _secrets(request).signing_key
    registry = request.app.state.reference.registry
    site = verify_household(given, key)
    if site is None:
        found = household_by_token(registry, given, key)
        site = found.site if found else None
    if not _own_site(registry, site):
        raise unauthorized("the household token is not valid (or names no household site)")
    return site  # type: ignore[return-value]


def household_by_token(registry: Registry | None, token: str, key: str) -> Household | None:
    """The registered household a token names: its id (v2) or its own site (v1)."""
    if registry is None:
        return None
    household = verify_household_id(token, key)
    if household is not None:
        return registry.households.households.get(household)
    site = verify_household(token, key)
    return registry.households.of_site(site) if _own_site(registry, site) else None


def household_of(request: Request, credentials: Credentials, token: TokenQ = None) -> Household:
    """The registered household of a version-2 token, or of a version-1 token's site."""
    found = household_by_token(
        request.app.state.reference.registry,
        _given(credentials, token),
        _secrets(request).signing_key,
    )
    if found is None:
        raise unauthorized("the household token is not valid (or names no registered household)")
    return found
