"""The last imports' receipts, for operators: in the platform database when the importer
has a database URL (--db-url / ENERGY_DB_URL), else one JSON line per import in the state
dir (`receipts.jsonl`).

Recorded after each import's last batch is answered; read back newest first
by `python -m importers receipts --last N` (and, from the database, by the
operators' GET /v1/staff/imports). With a database URL nothing is written to
the file; lines written before stay there (they are not moved).
"""

from __future__ import annotations

from collections import deque
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ValidationError

from importers.receipts import ImportReceipt
from telemetry.db import import_receipts as db
from telemetry.db import make_engine
from telemetry.receipts import MeterReceipt

FILE_NAME = "receipts.jsonl"


class LoggedReceipt(BaseModel):
    at: datetime  # finished
    agent: str
    receipt: ImportReceipt
    # Lines written before these were kept have none of them.
    site: str = ""
    household: str | None = None
    format: str = ""
    started: datetime | None = None
    exit_status: int = 0

    @classmethod
    def finished(
        cls,
        agent: str,
        receipt: ImportReceipt,
        site: str,
        household: str | None,
        fmt: str,
        started: datetime,
        exit_status: int,
    ) -> LoggedReceipt:
        return cls(
            at=datetime.now(UTC),
            agent=agent,
            receipt=receipt,
            site=site,
            household=household,
            format=fmt,
            started=started,
            exit_status=exit_status,
        )


class History(Protocol):
    def record(self, entry: LoggedReceipt) -> None: ...
    def last(self, n: int) -> list[LoggedReceipt]: ...
    def where(self) -> str: ...


class ReceiptLog:
    """The fallback without a database: JSON lines in the state dir."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / FILE_NAME

    def where(self) -> str:
        return str(self.path)

    def record(self, entry: LoggedReceipt) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(entry.model_dump_json() + "\n")

    def last(self, n: int) -> list[LoggedReceipt]:
        """The newest `n` receipts, newest first (a damaged line is skipped)."""
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as f:
            tail = deque(f, maxlen=n)
        out = []
        for text in reversed(tail):
            try:
                out.append(LoggedReceipt.model_validate_json(text))
            except ValidationError:
                continue
        return out


class ReceiptTable:
    """Table `import_receipts` of the platform database (revision 0010 on)."""

    def __init__(self, db_url: str) -> None:
        self.db_url = db_url

    def where(self) -> str:
        return "import_receipts"

    def record(self, entry: LoggedReceipt) -> None:
        r = entry.receipt
        row = db.ImportRecord(
            import_id=r.import_id,
            site=entry.site,
            household=entry.household,
            agent=entry.agent,
            file=r.file,
            format=entry.format,
            started_at=entry.started or entry.at,
            finished_at=entry.at,
            meters={m: v.model_dump() for m, v in r.meters.items()},
            details=dict(r.details),
            exit_status=entry.exit_status,
        )
        engine = make_engine(self.db_url)
        try:
            with engine.begin() as conn:
                db.record(conn, row)
        finally:
            engine.dispose()

    def last(self, n: int) -> list[LoggedReceipt]:
        engine = make_engine(self.db_url)
        try:
            with engine.connect() as conn:
                rows = db.last(conn, n)
        finally:
            engine.dispose()
        return [_logged(row) for row in rows]


def _logged(row: db.ImportRecord) -> LoggedReceipt:
    receipt = ImportReceipt(
        import_id=row.import_id,
        file=row.file,
        meters={m: MeterReceipt.model_validate(v) for m, v in row.meters.items()},
        details=dict(row.details),
    )
    return LoggedReceipt(
        at=row.finished_at,
        agent=row.agent,
        receipt=receipt,
        site=row.site,
        household=row.household,
        format=row.format,
        started=row.started_at,
        exit_status=row.exit_status,
    )


def history(state_dir: Path, db_url: str | None) -> History:
    """Where receipts go: the database when there is a URL, else the state dir's file."""
    return ReceiptTable(db_url) if db_url else ReceiptLog(state_dir)
