"""The on-disk outbox: every batch is here before it is published, until PUBACK.

SQLite in WAL mode with `synchronous=FULL`: a committed batch survives a
SIGKILL and a power cut. The next `seq` lives in the same database and is
advanced in the same transaction that stores the batch, so a restart can
neither reuse nor skip a number. Past the byte budget the oldest batches are
dropped and counted (the count is persisted too, for the agent's status).
`AsyncOutbox` is the face the asyncio side uses: the same operations, run on
one worker thread.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    seq INTEGER PRIMARY KEY,
    created REAL NOT NULL,
    payload BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
-- Seqs dropped past the budget, remembered for a while: one may have been in
-- flight when it was dropped, and if the broker acknowledges it after all it
-- was delivered, not lost, and leaves the count.
CREATE TABLE IF NOT EXISTS dropped_seqs (seq INTEGER PRIMARY KEY);
INSERT OR IGNORE INTO meta(key, value) VALUES ('next_seq', 0), ('dropped', 0), ('bytes', 0);
"""


# Dropped seqs remembered for a late acknowledgement: far more than a publish window.
REMEMBER_DROPPED = 10_000


@dataclass(frozen=True, slots=True)
class Stored:
    seq: int
    created: float
    payload: bytes


@dataclass(frozen=True, slots=True)
class OutboxStats:
    depth: int
    bytes: int
    oldest_created: float | None
    dropped: int
    next_seq: int


class Outbox:
    """Single-writer SQLite outbox. Not thread-safe: use it from one thread."""

    def __init__(self, path: Path, budget_bytes: int, clock: Callable[[], float] = time.time):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.budget_bytes = budget_bytes
        self._clock = clock
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def _meta(self, key: str) -> int:
        return int(self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()[0])

    def append(self, build: Callable[[int], bytes]) -> tuple[int, int]:
        """Store the batch `build(seq)` under the next seq; return (seq, batches dropped)."""
        with self._transaction():
            seq = self._meta("next_seq")
            payload = build(seq)
            self._db.execute(
                "INSERT INTO batches(seq, created, payload) VALUES (?, ?, ?)",
                (seq, self._clock(), payload),
            )
            self._db.execute("UPDATE meta SET value=? WHERE key='next_seq'", (seq + 1,))
            self._db.execute("UPDATE meta SET value=value+? WHERE key='bytes'", (len(payload),))
            dropped = self._enforce_budget(keep=seq)
        return seq, dropped

    def _enforce_budget(self, keep: int) -> int:
        """Drop oldest batches while over budget (never the one just stored)."""
        dropped = 0
        total = self._meta("bytes")
        while total > self.budget_bytes:
            row = self._db.execute(
                "SELECT seq, length(payload) FROM batches WHERE seq<>? ORDER BY seq LIMIT 1",
                (keep,),
            ).fetchone()
            if row is None:
                break
            self._db.execute("DELETE FROM batches WHERE seq=?", (row[0],))
            self._db.execute("INSERT OR IGNORE INTO dropped_seqs(seq) VALUES (?)", (row[0],))
            total -= row[1]
            dropped += 1
        if dropped:
            self._db.execute("UPDATE meta SET value=? WHERE key='bytes'", (total,))
            self._db.execute("UPDATE meta SET value=value+? WHERE key='dropped'", (dropped,))
            self._db.execute(
                "DELETE FROM dropped_seqs WHERE seq < (SELECT max(seq) FROM dropped_seqs) - ?",
                (REMEMBER_DROPPED,),
            )
        return dropped

    def delete(self, seq: int) -> bool:
        """Remove an acknowledged batch; False when it was no longer there.

        A batch dropped while in flight and then acknowledged reached the
        broker: it leaves the dropped count (once, however often it is acked).
        """
        with self._transaction():
            row = self._db.execute(
                "SELECT length(payload) FROM batches WHERE seq=?", (seq,)
            ).fetchone()
            if row is None:
                undropped = self._db.execute("DELETE FROM dropped_seqs WHERE seq=?", (seq,))
                if undropped.rowcount == 1:
                    self._db.execute("UPDATE meta SET value=value-1 WHERE key='dropped'")
                return False
            self._db.execute("DELETE FROM batches WHERE seq=?", (seq,))
            self._db.execute("UPDATE meta SET value=value-? WHERE key='bytes'", (row[0],))
        return True

    def after(self, seq: int, limit: int) -> list[Stored]:
        """The oldest `limit` batches with a seq above `seq`."""
        rows = self._db.execute(
            "SELECT seq, created, payload FROM batches WHERE seq>? ORDER BY seq LIMIT ?",
            (seq, limit),
        ).fetchall()
        return [Stored(int(s), float(c), bytes(p)) for s, c, p in rows]

    def stats(self) -> OutboxStats:
        depth, oldest = self._db.execute("SELECT count(*), min(created) FROM batches").fetchone()
        return OutboxStats(
            depth=int(depth),
            bytes=self._meta("bytes"),
            oldest_created=float(oldest) if oldest is not None else None,
            dropped=self._meta("dropped"),
            next_seq=self._meta("next_seq"),
        )

    def _transaction(self) -> _Tx:
        return _Tx(self._db)


class AsyncOutbox:
    """The outbox on one worker thread, so a slow disk never stalls the poll loop."""

    def __init__(self, store: Outbox) -> None:
        self.store = store
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox")

    async def _run(self, fn: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    async def append(self, build: Callable[[int], bytes]) -> tuple[int, int]:
        """`Outbox.append`: (seq, batches dropped)."""
        return await self._run(self.store.append, build)

    async def delete(self, seq: int) -> bool:
        return await self._run(self.store.delete, seq)

    async def after(self, seq: int, limit: int) -> list[Stored]:
        return await self._run(self.store.after, seq, limit)

    async def stats(self) -> OutboxStats:
        return await self._run(self.store.stats)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.store.close()


class _Tx:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *_: object) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")
