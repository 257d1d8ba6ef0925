"""The last imports' receipts, for operators: one JSON line per import in the state dir.

Appended after each import's last batch is answered; read back newest first
by `python -m importers receipts --last N`.
"""

from __future__ import annotations

from collections import deque
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ValidationError

from importers.receipts import ImportReceipt

FILE_NAME = "receipts.jsonl"


class LoggedReceipt(BaseModel):
    at: datetime
    agent: str
    receipt: ImportReceipt


class ReceiptLog:
    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / FILE_NAME

    def record(self, agent: str, receipt: ImportReceipt) -> None:
        entry = LoggedReceipt(at=datetime.now(UTC), agent=agent, receipt=receipt)
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
