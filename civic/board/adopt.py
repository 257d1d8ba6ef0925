"""Accounts and codes from before tenancies, moved onto them (`python -m api tenancy adopt`).

Before issue 23 a household was an HMAC of a free-text label under the
signing key; the database holds only that HMAC, never the label, so no
migration can map it. An operator who still has the labels file the sheets
were printed from runs `adopt`: each label that resolves to a unit of the
site (the registry's normaliser) is hashed as before and its account and
codes move onto the unit's current tenancy (one made from `--moved-in` if
the unit has none). What stays behind is listed: labels naming no unit,
labels with no account or code, and a second label of one unit whose account
cannot be merged into the first (its sessions end; its past supports and
answers stay as they were, which the report says).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Engine, func, select, update

from civic.board.codes import household_key
from civic.board.sessions import Ended, revoke_all
from telemetry.db import audit, tenancies
from telemetry.db.tables import participation_codes, residents
from telemetry.registry.units import SiteUnits, UnitNotFound


@dataclass
class AdoptReport:
    adopted: list[tuple[str, str, int, int, int]] = field(default_factory=list)
    unresolved: list[tuple[str, str]] = field(default_factory=list)
    nothing: list[str] = field(default_factory=list)
    second_accounts: list[tuple[str, str]] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"adopted\t{label}\t{unit}\ttenancy {t}\t{a} account(s)\t{c} code(s)"
               for label, unit, t, a, c in self.adopted]  # fmt: skip
        out += [f"no unit\t{label}\t{why}" for label, why in self.unresolved]
        out += [f"nothing\t{label}\tno account or code under this label" for label in self.nothing]
        out += [
            f"second\t{label}\t{unit} already has an account: this one keeps its past rows, "
            "its sessions ended"
            for label, unit in self.second_accounts
        ]
        return out


def adopt(
    engine: Engine,
    secret: bytes,
    units: SiteUnits,
    labels: list[str],
    moved_in: dt.date,
    now: dt.datetime,
    actor: str,
) -> AdoptReport:
    report = AdoptReport()
    site = units.site
    r, c = residents.c, participation_codes.c
    with engine.begin() as conn:
        for label in labels:
            try:
                unit = units.resolve(label)
            except UnitNotFound as exc:
                report.unresolved.append((label, str(exc)))
                continue
            old = household_key(secret, site, label)
            account = conn.execute(select(r.id).where(r.resident_key == old)).scalar_one_or_none()
            codes = conn.execute(
                select(func.count()).select_from(participation_codes).where(c.household_key == old)
            ).scalar_one()
            if account is None and not codes:
                report.nothing.append(label)
                continue
            tenancy = tenancies.current(conn, site, unit) or tenancies.move_in(
                conn, site, unit, moved_in, now
            )
            key = tenancies.resident_key(tenancy.id)
            conn.execute(
                update(participation_codes)
                .where(c.household_key == old)
                .values(household_key=key, tenancy_id=tenancy.id)
            )
            adopted_accounts = 0
            if account is not None:
                taken = conn.execute(select(r.id).where(r.tenancy_id == tenancy.id)).first()
                if taken is None:
                    conn.execute(
                        update(residents)
                        .where(r.id == account)
                        .values(resident_key=key, tenancy_id=tenancy.id)
                    )
                    adopted_accounts = 1
                else:
                    revoke_all(conn, account, now, Ended.CODE_REVOKED)
                    report.second_accounts.append((label, unit))
            report.adopted.append((label, unit, tenancy.id, adopted_accounts, codes))
            audit.record(conn, actor, "tenancy.adopt", "tenancy", tenancy.id,
                         {"site": site, "unit": unit, "accounts": adopted_accounts,
                          "codes": codes})  # fmt: skip
    return report


def unadopted(engine: Engine) -> list[tuple[str, int, int]]:
    """(site, accounts, live codes) still keyed by a label, per site."""
    r, c = residents.c, participation_codes.c
    with engine.connect() as conn:
        accounts = dict(
            conn.execute(
                select(r.site, func.count()).where(r.tenancy_id.is_(None)).group_by(r.site)
            ).all()
        )
        codes = dict(
            conn.execute(
                select(c.site, func.count())
                .where(c.tenancy_id.is_(None), c.cancelled_at.is_(None))
                .group_by(c.site)
            ).all()
        )
    return [(s, accounts.get(s, 0), codes.get(s, 0)) for s in sorted({*accounts, *codes})]
