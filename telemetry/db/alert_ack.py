"""Acknowledging an alert: the one write both `python -m alerts ack` and the API make.

It lives here, beside the table, because packages never import each other:
the alerts CLI and the API's alert routes share this step, not each other.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from telemetry.db.tables import alerts

# active_unacked → active_acked, cleared_unacked → cleared_acked; nothing else moves.
_ACK = {"active_unacked": "active_acked", "cleared_unacked": "cleared_acked"}


def acknowledged(state: str | None) -> str | None:
    """The state after an acknowledgement (None: nothing to acknowledge)."""
    return _ACK.get(state or "")


def acknowledge_row(
    conn: Connection,
    alert_id: int,
    by: str,
    note: str,
    now: datetime,
    sites: set[str] | None = None,
) -> dict[str, Any] | None:
    """Acknowledge alert `alert_id` (only if its site is in `sites`, when given).

    Returns the row as it now stands, or None if there is no such alert (within
    `sites`) or it needs no acknowledgement.
    """
    query = select(alerts).where(alerts.c.id == alert_id)
    if sites is not None:
        query = query.where(alerts.c.site.in_(sorted(sites)))
    row = conn.execute(query).mappings().first()
    if row is None or (new := acknowledged(row["state"])) is None:
        return None
    # Conditional on the state read: a concurrent clear or ack wins, never both.
    done = conn.execute(
        update(alerts)
        .where(alerts.c.id == alert_id, alerts.c.state == row["state"])
        .values(
            state=new,
            acked_at=now,
            acked_by=by,
            ack_note=note,
            updated_at=now,
            version=alerts.c.version + 1,
        )
    )
    if done.rowcount != 1:
        return None
    acked = {"state": new, "acked_at": now, "acked_by": by, "ack_note": note}
    return {**row, **acked, "version": row["version"] + 1, "updated_at": now}
