"""Household links (version 3): what a link opens, until when, and whether it still may.

A token is `h3~<household>~<issued>~<expires>~<version>~<key id>~<mac>`:

- household: `t.<tenancy id>` (the occupants of a unit during one tenancy,
  telemetry/db/tenancies.py) or `h.<household id>` (a programme household
  of the registry that lives at no unit: a house of its own, standalone in a
  dong; its `moved_in`/`moved_out` in the registry bound it as a tenancy's
  dates do);
- issued, expires: KST dates (YYYYMMDD); expiry = issue + the configured
  lifetime (`household_links.lifetime_days` of config/api.yaml);
- version: the household's link version when signed; revoking its links
  raises the version (`python -m api links revoke`, POST
  /v1/staff/links/revoke), so older links are refused and no other
  household's are;
- key id: which signing key made the MAC (ENERGY_API_SIGNING_KEYS, newest
  signs, every listed key verifies; ENERGY_API_SIGNING_KEY is the one key
  "default"). No identity depends on a key: rotating keys ends the links of
  a removed key and nothing else;
- mac: HMAC-SHA256 of everything before it, base64url.

A tenancy's link is refused from its move-out day, and what it opens is its
tenancy's whole months only: a month shared with the previous or next
household (moved in or out mid-month) is shown to neither.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass

from fastapi import Request

from api.guards import board_clock, platform_db
from telemetry.db import tenancies
from telemetry.db.tenancies import Tenancy
from telemetry.registry import Registry
from telemetry.registry.households import Household

PREFIX = "h3"
SEP = "~"
TENANCY = "t."
HOUSEHOLD = "h."
KST = dt.timezone(dt.timedelta(hours=9))
RETIRED = (
    "this is a household link of an earlier version (1 or 2), which is retired: ask the city "
    "for a new link (operators: python -m api sign-household --unit SITE UNIT, or "
    "--household ID)"
)


class LinkRefused(Exception):
    """A link that opens nothing now; the message says why, for the household. `kind` names
    the reason for the portal's words (hh_refused_<kind>), `day` its date if it has one."""

    def __init__(self, message: str, kind: str = "invalid", day: dt.date | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.day = day


@dataclass(frozen=True, slots=True)
class Link:
    subject: str
    issued: dt.date
    expires: dt.date
    version: int
    key_id: str


@dataclass(frozen=True, slots=True)
class LinkHousehold:
    """The household a valid link opens, and the days its data may be read from and before."""

    subject: str
    site: str | None
    unit: str | None
    tenancy: Tenancy | None
    household: Household | None  # the registry's household whose meters and enrolments apply
    reads_from: dt.date | None  # first day of the first whole month of the tenancy
    reads_before: dt.date | None  # first day of the month of the move-out (exclusive)

    def clamp(self, start: dt.datetime, end: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
        """A window [start, end) cut to the tenancy's months (KST midnights); empty when none
        is left (start == end)."""
        if self.reads_from is not None:
            start = max(start, _kst(self.reads_from))
        if self.reads_before is not None:
            end = min(end, _kst(self.reads_before))
        return start, max(start, end)


def _kst(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=KST)


def tenancy_subject(tenancy_id: int) -> str:
    return f"{TENANCY}{tenancy_id}"


def household_subject(household: str) -> str:
    return f"{HOUSEHOLD}{household}"


def _mac(key: str, body: str) -> str:
    digest = hmac.new(key.encode(), f"household-link:{body}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def sign(
    keys: tuple[tuple[str, str], ...],
    subject: str,
    issued: dt.date,
    lifetime_days: int,
    version: int,
) -> str:
    """A link token signed with the newest key."""
    if not keys:
        raise ValueError("no signing key is configured (ENERGY_API_SIGNING_KEYS)")
    key_id, key = keys[0]
    expires = issued + dt.timedelta(days=lifetime_days)
    body = SEP.join(
        (PREFIX, subject, f"{issued:%Y%m%d}", f"{expires:%Y%m%d}", str(version), key_id)
    )
    return f"{body}{SEP}{_mac(key, body)}"


def verify(keys: tuple[tuple[str, str], ...], token: str) -> Link:
    """The link's fields when its MAC is right under the key it names; LinkRefused otherwise."""
    if not token.startswith(PREFIX + SEP):
        if SEP not in token and "." in token:
            raise LinkRefused(RETIRED, "retired")
        raise LinkRefused("the household token is not valid")
    parts = token.split(SEP)
    if len(parts) != 7:
        raise LinkRefused("the household token is not valid")
    _, subject, issued, expires, version, key_id, mac = parts
    key = dict(keys).get(key_id)
    if key is None:
        raise LinkRefused(
            "this link was signed with a key that is no longer in use: ask the city for a new link",
            "key_retired",
        )
    if not hmac.compare_digest(mac.encode(), _mac(key, SEP.join(parts[:6])).encode()):
        raise LinkRefused("the household token is not valid")
    try:
        link = Link(subject, _day(issued), _day(expires), int(version), key_id)
    except ValueError:
        raise LinkRefused("the household token is not valid") from None
    return link


def _day(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%Y%m%d").date()


def today(request: Request) -> dt.date:
    """Today in Korea, by the app's clock (tests turn it)."""
    return board_clock(request)().astimezone(KST).date()


def open_link(request: Request, token: str) -> LinkHousehold:
    """The household a link opens now; LinkRefused with the reason otherwise."""
    link = verify(request.app.state.secrets.keys(), token)
    day = today(request)
    if day > link.expires:
        raise LinkRefused(
            f"this link expired on {link.expires}: ask the city for a new link", "expired",
            link.expires,
        )  # fmt: skip
    registry: Registry | None = request.app.state.reference.registry
    if registry is None:
        raise LinkRefused("the household token is not valid")
    with platform_db(request).connect() as conn:
        if link.subject.startswith(TENANCY) and link.subject[len(TENANCY) :].isdigit():
            tenancy = tenancies.get(conn, int(link.subject[len(TENANCY) :]))
            if tenancy is None:
                raise LinkRefused("the household token is not valid")
            current = tenancy.link_version
        elif link.subject.startswith(HOUSEHOLD):
            tenancy = None
            current = tenancies.household_link_version(conn, link.subject[len(HOUSEHOLD) :])
        else:
            raise LinkRefused("the household token is not valid")
    if link.version != current:
        raise LinkRefused("this link was revoked: ask the city for a new link", "revoked")
    if tenancy is not None:
        return _of_tenancy(link.subject, tenancy, registry, day)
    household = registry.households.households.get(link.subject[len(HOUSEHOLD) :])
    if household is None or household.unit is not None:
        # A household at a unit is opened through its unit's tenancy, never by its id.
        raise LinkRefused("the household token is not valid")
    if household.moved_out is not None and day >= household.moved_out:
        raise LinkRefused(
            f"this household moved out on {household.moved_out}: its link has ended",
            "moved_out",
            household.moved_out,
        )
    first, before = _whole_months(household.moved_in, household.moved_out)
    return LinkHousehold(link.subject, household.site, None, None, household, first, before)


def _of_tenancy(subject: str, tenancy: Tenancy, registry: Registry, day: dt.date) -> LinkHousehold:
    if tenancy.moved_out is not None and day >= tenancy.moved_out:
        raise LinkRefused(
            f"this household moved out on {tenancy.moved_out}: its link has ended",
            "moved_out",
            tenancy.moved_out,
        )
    household = next(
        (
            h
            for h in registry.households.households.values()
            if h.site == tenancy.site and h.unit == tenancy.unit
        ),
        None,
    )
    first, before = _whole_months(tenancy.moved_in, tenancy.moved_out)
    return LinkHousehold(subject, tenancy.site, tenancy.unit, tenancy, household, first, before)


def _whole_months(
    moved_in: dt.date | None, moved_out: dt.date | None
) -> tuple[dt.date | None, dt.date | None]:
    """The first day of the first whole month from the move-in, and the first day of the
    move-out's month (reads stop before it): the months lived in wholly."""
    first = moved_in
    if first is not None and first.day != 1:
        first = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return first, moved_out.replace(day=1) if moved_out else None
