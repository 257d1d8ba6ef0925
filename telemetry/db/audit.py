"""The audit log: who did what to which record, when; append-only (triggers refuse UPDATE/DELETE).

Every staff action writes one row, in the same transaction as the action
where the caller holds one (`record(conn, ...)`), so an action and its record
commit or fail together. The actor always comes from the credential that
made the request, never from anything the request says about itself:

- ``staff:<name>``: a named staff account's session (the `staff/` package);
- ``machine:admin-token``: the machines' bearer token (ENERGY_API_ADMIN_TOKEN);
- ``site:<site>``: a facility manager's site token (ENERGY_API_SITE_TOKENS);
- ``cli``: a command run on a server (`python -m api staff ...`, `codes`);
  the OS user goes into the detail, as information, not as identity;
- ``system``: the platform itself (reports hiding an item, the round clock).

Usable from any package (telemetry imports none of ours).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, or_, select

from telemetry.db.tables import audit_log

SYSTEM = "system"
CLI = "cli"
MACHINE_ADMIN = "machine:admin-token"
ANONYMOUS = "anonymous"  # a refused sign-in: no credential was proven
STAFF_PREFIX = "staff:"
SITE_PREFIX = "site:"
COLUMNS = ["id", "at", "actor", "action", "target_kind", "target_id", "detail"]
MAX_TARGET_ID = 80


def staff(name: str) -> str:
    return f"{STAFF_PREFIX}{name}"


def site(name: str) -> str:
    return f"{SITE_PREFIX}{name}"


def shown(actor: str) -> str:
    """The name shown on a record (an answer, a moderation note): a staff member's own name,
    otherwise the actor as recorded (`machine:admin-token`, `site:<site>`, `system`)."""
    return actor.removeprefix(STAFF_PREFIX)


def record(
    conn: Connection,
    actor: str,
    action: str,
    target_kind: str,
    target_id: object = None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    """Append one entry; in the caller's transaction (commit with the action, or not at all)."""
    if not actor or not action or not target_kind:
        raise ValueError("an audit entry needs an actor, an action and a target kind")
    conn.execute(
        insert(audit_log).values(
            at=at or datetime.now(UTC),
            actor=actor[:80],
            action=action[:48],
            target_kind=target_kind[:32],
            target_id=None if target_id is None else str(target_id)[:MAX_TARGET_ID],
            detail=detail or {},
        )
    )


@dataclass(frozen=True)
class Filter:
    """Entries by actor (exact, or `staff:` for every staff member), action (exact or a prefix
    ending in `.`), target (`kind` or `kind:id`), and from a time on."""

    actor: str | None = None
    action: str | None = None
    target: str | None = None
    since: datetime | None = None

    def where(self) -> list[Any]:
        c = audit_log.c
        out: list[Any] = []
        if self.actor:
            out.append(
                c.actor.startswith(self.actor, autoescape=True)
                if self.actor.endswith(":")
                else c.actor == self.actor
            )
        if self.action:
            out.append(
                c.action.startswith(self.action, autoescape=True)
                if self.action.endswith(".")
                else or_(
                    c.action == self.action, c.action.startswith(f"{self.action}.", autoescape=True)
                )
            )
        if self.target:
            kind, sep, ident = self.target.partition(":")
            out.append(c.target_kind == kind)
            if sep:
                out.append(c.target_id == ident)
        if self.since is not None:
            out.append(c.at >= self.since)
        return out


def entries(
    conn: Connection, f: Filter | None = None, limit: int = 100, offset: int = 0
) -> list[dict[str, Any]]:
    """Newest first."""
    query = (
        select(audit_log)
        .where(*(f or Filter()).where())
        .order_by(audit_log.c.at.desc(), audit_log.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [dict(r._mapping) for r in conn.execute(query)]


def count(conn: Connection, f: Filter | None = None) -> int:
    query = select(func.count()).select_from(audit_log).where(*(f or Filter()).where())
    return conn.execute(query).scalar_one()


def to_csv(rows: list[dict[str, Any]]) -> str:
    """One line per entry; the detail as JSON; no cell opens as a spreadsheet formula."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for r in rows:
        line = {k: r.get(k) for k in COLUMNS}
        line["at"] = r["at"].isoformat() if r.get("at") else None
        line["detail"] = json.dumps(r.get("detail") or {}, ensure_ascii=False, sort_keys=True)
        writer.writerow({k: _inert(v) for k, v in line.items()})
    return out.getvalue()


def _inert(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
