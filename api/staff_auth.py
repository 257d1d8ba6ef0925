"""Who acts on a staff route: a staff member's cookie session, the machines' token, a site token.

- **Staff** sign in with their name and password (`POST /v1/staff/signin`, the
  page `/staff/signin`) and get the cookie `staff_session` (a random id; the
  database keeps its SHA-256, `staff/sessions.py`): HttpOnly, SameSite=Strict,
  `Secure` from the configuration like every cookie (`api/session.py`
  `secure`), path `/`. Every write made with it must carry the CSRF token,
  an HMAC of the session id under the platform's signing key, in
  `X-CSRF-Token` (or the hidden form field `csrf_token`), and an `Origin`,
  when the browser sends one, of this API. The actor is `staff:<name>`.
- **Machines** keep the operators' bearer token (ENERGY_API_ADMIN_TOKEN): it
  acts as an administrator would, never under a person's name; the actor is
  `machine:admin-token`, and every use is logged (the log line here, and
  each write's audit entry).
- **Facility managers' site tokens** (ENERGY_API_SITE_TOKENS) act as
  `site:<site>`, on their sites only.

Nothing a request says about itself (a header naming someone) is believed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, FastAPI, Header, Request, Response, Security
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials

from api import auth, guards, ratelimit
from api.auth import Credentials
from api.problems import ApiProblem, forbidden, unauthorized
from api.session import secure
from staff import roles as role_rules
from staff.accounts import StaffAccounts
from staff.sessions import StaffSession, StaffSessions
from telemetry.db import audit

log = logging.getLogger("api.staff")

COOKIE = "staff_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
PATH = "/"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Sign-in tries (shared by every API process, like every limit: ratelimit.py): per address
# (a city office may share one) and per account name (a guesser spread over many addresses).
SIGNIN_PER_ADDRESS = (0.5, 20)
SIGNIN_PER_NAME = (0.1, 5)


@dataclass
class StaffState:
    accounts: StaffAccounts
    sessions: StaffSessions
    by_address: ratelimit.Limiter
    by_name: ratelimit.Limiter


def install(app: FastAPI) -> None:
    """Staff accounts and sessions on the platform database (when the app has one)."""
    board = getattr(app.state, "board", None)
    engine = board.engine if board is not None else getattr(app.state, "db", None)
    app.state.staff = (
        StaffState(
            StaffAccounts(engine),
            StaffSessions(engine),
            ratelimit.buckets(engine, "signin-address", *SIGNIN_PER_ADDRESS),
            ratelimit.buckets(engine, "signin-name", *SIGNIN_PER_NAME),
        )
        if engine is not None
        else None
    )


def staff_state(request: Request) -> StaffState:
    found: StaffState | None = getattr(request.app.state, "staff", None)
    if found is None:
        raise ApiProblem(503, "Staff sign-in unavailable", "this server has no platform database")
    return found


@dataclass(frozen=True)
class Principal:
    """The credential behind a request, and what it may do."""

    actor: str  # for the audit log: staff:<name>, machine:admin-token, site:<site>
    roles: tuple[str, ...]
    sites: frozenset[str] | None = None  # None: every site
    session: StaffSession | None = None  # a staff member's cookie session

    @property
    def shown(self) -> str:
        """The name shown on what it writes (answers, moderation notes, acknowledgements)."""
        return audit.shown(self.actor)

    @property
    def machine(self) -> bool:
        return self.actor == audit.MACHINE_ADMIN

    def allows(self, *wanted: str) -> bool:
        return role_rules.allows(self.roles, *wanted)


MACHINE = Principal(audit.MACHINE_ADMIN, (role_rules.ADMINISTRATOR,))


# --- the cookie ---------------------------------------------------------------


def _signing_key(request: Request) -> str:
    key: str = request.app.state.secrets.signing_key
    if len(key) < 16:
        raise ApiProblem(503, "Staff sign-in unavailable", "ENERGY_API_SIGNING_KEY is not set")
    return key


def csrf_token(key: str, session_id: str) -> str:
    digest = hmac.new(key.encode(), f"staff-csrf:v1:{session_id}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")


def csrf_for(request: Request, who: Principal | StaffSession | None) -> str | None:
    found = who.session if isinstance(who, Principal) else who
    return csrf_token(_signing_key(request), found.id) if found is not None else None


def set_cookie(request: Request, response: Response, session: StaffSession) -> None:
    response.set_cookie(
        COOKIE,
        session.id,
        expires=session.expires_at,
        httponly=True,
        samesite="strict",
        secure=secure(request),
        path=PATH,
    )
    response.headers["Cache-Control"] = "no-store"


def clear_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, path=PATH)


# Declared so that the OpenAPI document says staff routes take the session cookie as well
# as the bearer token (either one); the cookie itself is read by session_of.
staff_cookie = APIKeyCookie(
    name=COOKIE,
    scheme_name="staffSession",
    description="a staff session (POST /v1/staff/signin); writes need its X-CSRF-Token",
    auto_error=False,
)
StaffCookie = Annotated[str | None, Security(staff_cookie)]


def session_of(request: Request) -> StaffSession | None:
    """The live staff session of this request's cookie, or None."""
    cookie = request.cookies.get(COOKIE)
    state: StaffState | None = getattr(request.app.state, "staff", None)
    if not cookie or state is None:
        return None
    return state.sessions.lookup(cookie)


def staff_principal(found: StaffSession) -> Principal:
    user = found.user
    sites = None if role_rules.ADMINISTRATOR in user.roles else frozenset(user.sites)
    return Principal(user.actor, user.roles, sites, found)


# --- who is asking ------------------------------------------------------------


def _bearer(credentials: HTTPAuthorizationCredentials | None) -> str | None:
    return credentials.credentials if credentials and credentials.credentials else None


def is_admin_token(request: Request, token: str | None) -> bool:
    admin: str = request.app.state.secrets.admin_token
    return bool(token and admin) and hmac.compare_digest(token.encode(), admin.encode())


def machine_used(request: Request) -> Principal:
    log.info(
        "admin token used",
        extra={"actor": audit.MACHINE_ADMIN, "method": request.method, "path": request.url.path},
    )
    return MACHINE


def principal(
    request: Request, credentials: Credentials, _session: StaffCookie = None
) -> Principal:
    """The admin token (a bearer token wins over a cookie), else a staff session; else 401."""
    token = _bearer(credentials)
    if token is not None:
        if is_admin_token(request, token):
            return machine_used(request)
        raise unauthorized("the operator token is wrong")
    found = session_of(request)
    if found is None:
        detail = (
            "the staff session has ended; sign in again"
            if COOKIE in request.cookies
            else "sign in as staff (POST /v1/staff/signin) or send the machines' bearer token"
        )
        raise unauthorized(detail)
    return staff_principal(found)


def check_origin(request: Request) -> None:
    """A browser's staff write (or sign-in) must come from this API's own pages: its
    `Origin` when sent (no CORS origin either: the city's other sites do not act for
    staff), else `Sec-Fetch-Site` same-origin or none. Neither (a script): the CSRF token
    (writes) or the password (sign-in) is all there is, as for any client."""
    origin = request.headers.get("origin")
    if origin is not None:
        if origin.rstrip("/") != str(request.base_url).rstrip("/"):
            raise forbidden(f"staff writes from origin {origin!r} are not accepted")
        return
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        raise forbidden(f"staff writes from another site ({site}) are not accepted")


def check_write(request: Request, who: Principal, token: str | None) -> None:
    """A write with the staff cookie: same origin, and the session's CSRF token."""
    if who.session is None:
        return  # a bearer token: browsers never attach it by themselves
    check_origin(request)
    expected = csrf_token(_signing_key(request), who.session.id)
    if not token or not hmac.compare_digest(expected.encode(), token.encode()):
        raise forbidden(
            f"the {CSRF_HEADER} header (or the form's {CSRF_FIELD}) is missing or wrong"
        )


def require_role(*wanted: str) -> Callable[..., Principal]:
    """A dependency: the principal, if it holds one of `wanted` (administrator: any); a write
    with the staff cookie must carry the CSRF token in `X-CSRF-Token`."""

    def dependency(
        request: Request,
        credentials: Credentials,
        _session: StaffCookie = None,
        x_csrf_token: Annotated[str | None, Header(include_in_schema=False)] = None,
    ) -> Principal:
        who = principal(request, credentials)
        if request.method not in SAFE_METHODS:
            check_write(request, who, x_csrf_token)
        if not who.allows(*wanted):
            raise forbidden(f"this needs the role {' or '.join(wanted)}")
        return who

    dependency.__name__ = f"require_{'_or_'.join(wanted)}"
    return dependency


# One callable per role, so a router's dependency and a route's parameter are one (cached) call.
moderator = require_role("moderator")
survey_admin = require_role("survey_admin")
operator = require_role("operator")
administrator = require_role("administrator")
code_issuer = require_role("code_issuer")
Moderator = Annotated[Principal, Depends(moderator)]
SurveyAdmin = Annotated[Principal, Depends(survey_admin)]
Operator = Annotated[Principal, Depends(operator)]
Administrator = Annotated[Principal, Depends(administrator)]


# --- facility managers ----------------------------------------------------------


def all_sites(request: Request) -> set[str]:
    registry = request.app.state.reference.registry
    return set(registry.sites) if registry else set()


def facility_sites(request: Request, credentials: Credentials) -> set[str]:
    """Sites the credential opens: a bearer token as before (api/auth.py), or a staff session
    (an administrator's: every site; a facility manager's: its own)."""
    if _bearer(credentials) is not None:
        if is_admin_token(request, _bearer(credentials)):
            machine_used(request)
        return auth.facility_sites(request, credentials)
    found = session_of(request)
    if found is None:
        raise unauthorized("a bearer token or a staff session is required")
    who = staff_principal(found)
    if who.sites is None:
        return all_sites(request)
    if role_rules.FACILITY_MANAGER not in who.roles or not who.sites:
        raise forbidden("this staff account opens no site")
    return set(who.sites)


def site_actor(request: Request, credentials: Credentials, site: str) -> Principal:
    """Who acts for `site`: the admin token, a staff session that opens it, or its site token."""
    token = _bearer(credentials)
    if token is None:
        found = session_of(request)
        if found is None:
            raise unauthorized("a bearer token or a staff session is required")
        who = staff_principal(found)
        if who.sites is not None and site not in who.sites:
            raise forbidden(f"this account does not open site {site!r}")
        return who
    if is_admin_token(request, token):
        return machine_used(request)
    auth.require_site(site, auth.facility_sites(request, credentials))
    return Principal(audit.site(site), (role_rules.FACILITY_MANAGER,), frozenset({site}))


def code_issuer_for(request: Request, credentials: Credentials, site: str) -> Principal:
    """Who issues or revokes participation codes for `site`: a staff account with the
    code_issuer role (any site) or a facility manager's (its sites), the site's own token,
    or the machines' token."""
    if _bearer(credentials) is None:
        found = session_of(request)
        if found is None:
            raise unauthorized("a bearer token or a staff session is required")
        who = staff_principal(found)
        check_write(request, who, request.headers.get(CSRF_HEADER))
        if who.allows("code_issuer") or (who.sites is not None and site in who.sites):
            return who
        raise forbidden(f"this account issues no codes for site {site!r}")
    return site_actor(request, credentials, site)


def sign_in(request: Request, response: Response, name: str, password: str) -> Principal:
    """Check the password, start a session and set its cookie (shared with the sign-in page)."""
    check_origin(request)
    state = staff_state(request)
    _signing_key(request)  # no CSRF token without it: no session either
    guards.small_body(request)
    for limiter, key in ((state.by_address, guards.address(request)), (state.by_name, name)):
        guards.limited(request, limiter, key.lower(), "too many sign-in tries")
    user = state.accounts.verify(name, password)
    if user is None:
        with state.accounts.engine.begin() as conn:
            audit.record(conn, audit.ANONYMOUS, "staff.signin_refused", "staff_user", name[:64],
                         {"address": guards.address(request)})  # fmt: skip
        raise ApiProblem(
            401, "Unauthorized", "the name or the password is wrong, or the account is disabled"
        )
    old = session_of(request)
    if old is not None:  # a new id at every sign-in; the browser's previous session ends
        state.sessions.revoke(old.id)
    found = state.sessions.create(user, {"address": guards.address(request)})
    set_cookie(request, response, found)
    return staff_principal(found)
