"""Tenancies: a household is the occupants of one unit from their move-in to their move-out.

A tenancy's id is the household's identity on the board and in the surveys
(`resident_key` "tenancy:<id>"): it depends on no key, so rotating the
signing key changes no identity, and however a unit is spelt its current
tenancy is one household. A move-out closes the tenancy (the caller, in the
same transaction, ends its sessions and cancels its codes:
api/tenancy_service.py); the next tenant is a new tenancy, a new household.

`link_version` is in every household link (api/auth.py): raising it refuses
the household's older links and no other household's. Programme households
(config/households/*.yaml) keep theirs in `household_links`.

Operators' records: who did it goes to the audit log (telemetry/db/audit.py)
by the caller, in the same transaction. Usable from any package.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update
from sqlalchemy.exc import IntegrityError

from telemetry.db.tables import household_links, tenancies

KEY_PREFIX = "tenancy:"


class TenancyError(ValueError):
    """A move-in or move-out that does not fit the unit's tenancies; says why."""


@dataclass(frozen=True, slots=True)
class Tenancy:
    id: int
    site: str
    unit: str
    moved_in: dt.date
    moved_out: dt.date | None
    link_version: int

    @property
    def household(self) -> str:
        """The household's resident key: the board's and the surveys' identity of it."""
        return resident_key(self.id)


def resident_key(tenancy_id: int) -> str:
    return f"{KEY_PREFIX}{tenancy_id}"


def _tenancy(row: Row[Any]) -> Tenancy:
    return Tenancy(row.id, row.site, row.unit, row.moved_in, row.moved_out, row.link_version)


def get(conn: Connection, tenancy_id: int, *, lock: bool = False) -> Tenancy | None:
    """The tenancy; with `lock`, its row held until the transaction ends (PostgreSQL: a
    move-out waits for codes being issued, or they wait for it and see it)."""
    query = select(tenancies).where(tenancies.c.id == tenancy_id)
    row = conn.execute(query.with_for_update() if lock else query).first()
    return None if row is None else _tenancy(row)


def current(conn: Connection, site: str, unit: str) -> Tenancy | None:
    """The unit's open tenancy (nobody has moved out), or None."""
    t = tenancies.c
    row = conn.execute(
        select(tenancies).where(t.site == site, t.unit == unit, t.moved_out.is_(None))
    ).first()
    return None if row is None else _tenancy(row)


def of_unit(conn: Connection, site: str, unit: str) -> list[Tenancy]:
    """Every tenancy of the unit, oldest first."""
    t = tenancies.c
    rows = conn.execute(
        select(tenancies).where(t.site == site, t.unit == unit).order_by(t.moved_in, t.id)
    ).all()
    return [_tenancy(r) for r in rows]


def of_site(conn: Connection, site: str, *, open_only: bool = False) -> list[Tenancy]:
    t = tenancies.c
    query = select(tenancies).where(t.site == site)
    if open_only:
        query = query.where(t.moved_out.is_(None))
    return [_tenancy(r) for r in conn.execute(query.order_by(t.unit, t.moved_in, t.id)).all()]


def move_in(conn: Connection, site: str, unit: str, day: dt.date, now: dt.datetime) -> Tenancy:
    """A new tenancy of the unit from `day`; refused while the unit has an open tenancy or
    when `day` is before the last tenant's move-out."""
    if current(conn, site, unit) is not None:
        raise TenancyError(
            f"unit {unit} of {site} has a tenant who has not moved out: record the move-out first"
        )
    past = of_unit(conn, site, unit)
    last_out = max((p.moved_out for p in past if p.moved_out), default=None)
    if last_out is not None and day < last_out:
        raise TenancyError(
            f"move-in {day} is before the last tenant of unit {unit} moved out ({last_out})"
        )
    try:
        with conn.begin_nested():
            new_id = conn.execute(
                insert(tenancies)
                .values(
                    site=site,
                    unit=unit,
                    moved_in=day,
                    moved_out=None,
                    link_version=1,
                    created_at=now,
                )
                .returning(tenancies.c.id)
            ).scalar_one()
    except IntegrityError:  # another move-in of the same unit won the race
        raise TenancyError(f"unit {unit} of {site} has a tenant who has not moved out") from None
    return Tenancy(new_id, site, unit, day, None, 1)


def move_out(conn: Connection, tenancy: Tenancy, day: dt.date, today: dt.date) -> Tenancy:
    """Close the tenancy on `day` (not before its move-in, not in the future)."""
    if tenancy.moved_out is not None:
        raise TenancyError(f"tenancy {tenancy.id} already moved out on {tenancy.moved_out}")
    if day < tenancy.moved_in:
        raise TenancyError(f"move-out {day} is before the move-in ({tenancy.moved_in})")
    if day > today:
        raise TenancyError(f"move-out {day} is in the future: record it on the day or after")
    t = tenancies.c
    done = conn.execute(
        update(tenancies).where(t.id == tenancy.id, t.moved_out.is_(None)).values(moved_out=day)
    ).rowcount
    if done != 1:
        raise TenancyError(f"tenancy {tenancy.id} already moved out")
    return Tenancy(
        tenancy.id, tenancy.site, tenancy.unit, tenancy.moved_in, day, tenancy.link_version
    )


def revoke_links(conn: Connection, tenancy_id: int) -> int:
    """Refuse every link of the tenancy issued so far; its new link version."""
    t = tenancies.c
    conn.execute(
        update(tenancies).where(t.id == tenancy_id).values(link_version=t.link_version + 1)
    )
    return conn.execute(select(t.link_version).where(t.id == tenancy_id)).scalar_one()


def household_link_version(conn: Connection, household: str) -> int:
    """A programme household's link version (1 until its links are first revoked)."""
    found = conn.execute(
        select(household_links.c.link_version).where(household_links.c.household == household)
    ).scalar_one_or_none()
    return found or 1


def revoke_household_links(conn: Connection, household: str, now: dt.datetime) -> int:
    """Refuse every link of a programme household issued so far; its new link version."""
    h = household_links.c
    done = conn.execute(
        update(household_links)
        .where(h.household == household)
        .values(link_version=h.link_version + 1, updated_at=now)
    ).rowcount
    if not done:
        conn.execute(insert(household_links).values(household=household, link_version=2,
                                                    updated_at=now))  # fmt: skip
    return household_link_version(conn, household)
