"""The importers' receipts in the platform database (table `import_receipts`).

Written by `python -m importers` when it has a database URL, one row per
finished import; read newest first by `python -m importers receipts` and the
operators' GET /v1/staff/imports. Usable from any package: the rows are plain
mappings, the per-meter figures JSON (meter -> {"stored": n, "refused":
{reason: n}}).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Connection, insert, select

from telemetry.db.tables import import_receipts as table


@dataclass(frozen=True, slots=True)
class ImportRecord:
    import_id: str
    site: str
    household: str | None
    agent: str
    file: str
    format: str
    started_at: dt.datetime
    finished_at: dt.datetime
    meters: Mapping[str, Any] = field(default_factory=dict)
    details: Mapping[str, str] = field(default_factory=dict)
    exit_status: int = 0


def record(conn: Connection, entry: ImportRecord) -> None:
    conn.execute(insert(table), [asdict(entry)])


def last(conn: Connection, n: int) -> list[ImportRecord]:
    """The newest `n` imports, newest (finished) first."""
    rows = conn.execute(
        select(table).order_by(table.c.finished_at.desc(), table.c.import_id).limit(n)
    )
    return [ImportRecord(**r._mapping) for r in rows]
