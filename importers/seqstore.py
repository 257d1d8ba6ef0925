"""The importer agent's batch sequence number, kept across runs (DESIGN.md `seq`).

One small file per agent, `<agent>.seq`, holding the last published seq,
rewritten atomically after each acknowledged batch. A lock file keeps two
imports under one agent from running at once (they would share seqs and the
MQTT client id).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class SeqBusy(RuntimeError):
    pass


class SeqStore:
    def __init__(self, state_dir: Path, agent: str) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        self.path = state_dir / f"{agent}.seq"
        self._lock = (state_dir / f"{agent}.lock").open("w")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise SeqBusy(f"another import under agent {agent!r} is running") from None

    def last(self) -> int:
        """The last published seq; -1 before the first batch."""
        try:
            return int(self.path.read_text(encoding="ascii").strip())
        except FileNotFoundError:
            return -1

    def save(self, seq: int) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(f"{seq}\n", encoding="ascii")
        os.replace(tmp, self.path)

    def close(self) -> None:
        self._lock.close()
