"""Adding and removing a silence: the one writer of `alert_silences`.

`python -m alerts silence` and the API's operators both write silences; the
step lives here, beside the table, because packages never import each other
(as `alert_ack.py` does for acknowledgements). Each caller owns the
transaction, so a write can join the caller's other statements.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, insert

from telemetry.db.tables import alert_silences


def insert_silence(
    conn: Connection,
    *,
    matchers: dict[str, str],
    starts_at: datetime,
    ends_at: datetime,
    created_by: str,
    comment: str,
    created_at: datetime,
) -> int:
    """Store a silence (alerts whose labels match every matcher go undelivered); its id."""
    row = insert(alert_silences).values(
        matchers=matchers,
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=created_by,
        comment=comment,
        created_at=created_at,
    )
    return conn.execute(row).inserted_primary_key[0]


def delete_silence(conn: Connection, silence_id: int) -> bool:
    """Remove silence `silence_id`; False if there was none."""
    gone = conn.execute(delete(alert_silences).where(alert_silences.c.id == silence_id))
    return gone.rowcount == 1
