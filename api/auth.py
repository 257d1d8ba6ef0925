"""Who may read private data: facility managers, households, operators.

- Operators: `Authorization: Bearer <ENERGY_API_ADMIN_TOKEN>`.
- Facility managers: a bearer token per site from ENERGY_API_SITE_TOKENS
  ("site=token,site=token"); it opens that site only.
- Households: a signed token `<site>.<signature>` that only that household
  holds, where signature = base64url(HMAC-SHA256(ENERGY_API_SIGNING_KEY,
  "household:v1:<site>")); sent as a bearer token or as `?token=` in the link
  the city hands out (`python -m api sign-household SITE`). The site comes
  from the token itself, so a household can never name another's.
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

bearer = HTTPBearer(auto_error=False, description="bearer token (see api/README.md)")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


@dataclass(frozen=True)
class Secrets:
    admin_token: str
    site_tokens: dict[str, str]  # site -> token
    signing_key: str


def _same(a: str, b: str) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())


def sign_household(site: str, key: str) -> str:
    digest = hmac.new(key.encode(), f"household:v1:{site}".encode(), hashlib.sha256).digest()
    return f"{site}.{base64.urlsafe_b64encode(digest).decode().rstrip('=')}"


def verify_household(token: str, key: str) -> str | None:
    """The household's site when the signature is right, else None."""
    site, _, _sig = token.rpartition(".")
    if not site or not key:
        return None
    return site if _same(token, sign_household(site, key)) else None


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


def household_site(
    request: Request,
    credentials: Credentials,
    token: Annotated[
        str | None,
        Query(
            description="the household's signed token, as in the link it was given", max_length=300
        ),
    ] = None,
) -> str:
    given = credentials.credentials if credentials and credentials.credentials else token
    if not given:
        raise unauthorized("a household token is required (bearer token or ?token=)")
    site = verify_household(given, _secrets(request).signing_key)
    if site is None:
        raise unauthorized("the household token is not valid")
    registry = request.app.state.reference.registry
    # Only a household's own site: an apartment complex's figure is not one household's.
    if registry is None or site not in registry.sites or registry.sites[site].kind != "household":
        raise unauthorized("the household token is not valid")
    return site
