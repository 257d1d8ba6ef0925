"""Operators' records of who lives in a unit: move-in, move-out, link revocation; audited.

Each action and its audit entry commit together (telemetry/db/audit.py); the
actor comes from the caller's credential (a staff session, the CLI). A
move-out, in the same transaction, cancels the household's codes and ends
its sessions (codes.end_tenancy); its links stop because the tenancy has
ended (api/auth.py checks every link against it). The unit is already
resolved to its id (the registry's normaliser) by the caller.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine

from civic.board.codes import ForTenancy, end_tenancy
from telemetry.db import audit, tenancies
from telemetry.db.tenancies import Tenancy, TenancyError
from telemetry.months import KST
from telemetry.registry.units import SiteUnits, UnitNotFound

__all__ = [
    "MovedOut",
    "Tenancy",
    "TenancyError",
    "UnitsRefused",
    "households_for_codes",
    "move_in",
    "move_out",
    "revoke_links",
]


@dataclass(frozen=True, slots=True)
class MovedOut:
    tenancy: Tenancy
    codes_cancelled: int
    sessions_ended: int


def move_in(
    engine: Engine,
    actor: str,
    site: str,
    unit: str,
    day: dt.date,
    now: dt.datetime,
    note: dict[str, str] | None = None,
) -> Tenancy:
    """A new household in the unit from `day` (TenancyError while one still lives there)."""
    with engine.begin() as conn:
        made = tenancies.move_in(conn, site, unit, day, now)
        audit.record(conn, actor, "tenancy.move_in", "tenancy", made.id,
                     {"site": site, "unit": unit, "moved_in": day.isoformat(), **(note or {})})  # fmt: skip
    return made


def move_out(
    engine: Engine,
    actor: str,
    site: str,
    unit: str,
    day: dt.date,
    now: dt.datetime,
    note: dict[str, str] | None = None,
) -> MovedOut:
    """The unit's current household moved out on `day`: its tenancy ends, its codes are
    cancelled and its sessions end, in one transaction."""
    with engine.begin() as conn:
        found = tenancies.current(conn, site, unit)
        if found is None:
            raise TenancyError(f"unit {unit} of {site} has no current tenant")
        # Tenancies are Korean calendar days: after 15:00 UTC, KST is already tomorrow.
        ended = tenancies.move_out(conn, found, day, now.astimezone(KST).date())
        codes, sessions = end_tenancy(conn, found.id, now)
        audit.record(conn, actor, "tenancy.move_out", "tenancy", found.id,
                     {"site": site, "unit": unit, "moved_out": day.isoformat(),
                      "codes_cancelled": codes, "sessions_ended": sessions, **(note or {})})  # fmt: skip
    return MovedOut(ended, codes, sessions)


def revoke_links(
    engine: Engine,
    actor: str,
    tenancy_id: int,
    now: dt.datetime,
    note: dict[str, str] | None = None,
) -> int:
    """Refuse the household's links issued so far (others' untouched); its new link version."""
    with engine.begin() as conn:
        if tenancies.get(conn, tenancy_id) is None:
            raise TenancyError(f"no tenancy {tenancy_id}")
        version = tenancies.revoke_links(conn, tenancy_id)
        audit.record(conn, actor, "links.revoke", "tenancy", tenancy_id,
                     {"link_version": version, **(note or {})})  # fmt: skip
    return version


def revoke_household_links(
    engine: Engine, actor: str, household: str, now: dt.datetime, note: dict[str, str] | None = None
) -> int:
    """The same for a programme household of the registry (config/households/)."""
    with engine.begin() as conn:
        version = tenancies.revoke_household_links(conn, household, now)
        audit.record(conn, actor, "links.revoke", "household", household,
                     {"link_version": version, **(note or {})})  # fmt: skip
    return version


@dataclass(frozen=True, slots=True)
class UnitProblem:
    index: int  # in the list given (a sheet's line is the caller's to add)
    given: str
    reason: str
    suggestions: tuple[str, ...] = ()

    def __str__(self) -> str:
        near = f" (closest: {', '.join(self.suggestions)})" if self.suggestions else ""
        return f"{self.given!r}: {self.reason}{near}"


class UnitsRefused(ValueError):
    """Some units asked for could not have codes; every problem, not just the first."""

    def __init__(self, problems: list[UnitProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


def households_for_codes(
    engine: Engine, units: SiteUnits, spellings: list[str]
) -> list[ForTenancy]:
    """The current tenancy of each unit asked for, however it is spelt; UnitsRefused lists
    unknown units (with the closest), a unit asked for twice under two spellings, and units
    nobody lives in (record the move-in first)."""
    problems: list[UnitProblem] = []
    resolved: dict[str, int] = {}
    out: list[ForTenancy] = []
    with engine.connect() as conn:
        for index, given in enumerate(spellings):
            try:
                unit = units.resolve(given)
            except UnitNotFound as exc:
                problems.append(
                    UnitProblem(
                        index, given, f"no such unit at {units.site}", tuple(exc.suggestions)
                    )
                )
                continue
            if unit in resolved:
                first = spellings[resolved[unit]]
                problems.append(UnitProblem(index, given, f"the same unit {unit} as {first!r}"))
                continue
            resolved[unit] = index
            found = tenancies.current(conn, units.site, unit)
            if found is None:
                reason = f"unit {unit} has no current tenant: record the move-in first"
                problems.append(UnitProblem(index, given, reason))
                continue
            out.append(ForTenancy(unit, found.id))
    if problems:
        raise UnitsRefused(problems)
    return out
