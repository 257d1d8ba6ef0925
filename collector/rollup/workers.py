"""A rollup worker that takes its partitions by lease (`python -m collector rollup --worker`).

Each worker holds at most its share of the partitions (ceil(partitions ÷ expected
workers)) through leases in the platform database (telemetry/db/leases.py), renewed
before each of their passes. A lease that has expired (its worker died, or stopped
without releasing) is taken by any worker whatever its share, so that no partition
stays without a worker for longer than one TTL; the new holder has no meter state or
book for it and recomputes it from raw readings, from the partition's own cursor.
A worker whose renewal fails (its lease was taken) drops the partition before writing
anything more for it.
"""

from __future__ import annotations

import logging
import math
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine as Database

from collector.rollup.cadence import pause
from collector.rollup.engine import Engine
from collector.rollup.partition import Partition
from telemetry.db import leases

log = logging.getLogger("collector.rollup.workers")


def holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Worker:
    def __init__(
        self,
        db: Database,
        parts: list[Partition],
        make: Callable[[Partition], Engine],
        expected_workers: int,
        ttl_s: float,
        holder: str | None = None,
    ) -> None:
        self.db = db
        self.parts = parts
        self.make = make
        self.share = math.ceil(len(parts) / max(1, expected_workers))
        self.ttl_s = ttl_s
        self.holder = holder or holder_id()
        self.engines: dict[str, Engine] = {}  # the partitions held
        self.built: dict[str, Engine] = {}  # made once per partition tried (fingerprint)

    def claim(self) -> None:
        """Take free partitions up to the share, and any expired one."""
        now = datetime.now(UTC)
        # Start at a place of our own, so that workers starting together try
        # different partitions first.
        start = int(self.holder.encode().hex(), 16) % max(1, len(self.parts))
        with self.db.connect() as conn:  # once a round: acquire's WHERE settles any race
            stored = {lease.partition: lease for lease in leases.leases(conn)}
        for part in self.parts[start:] + self.parts[:start]:
            if part.name in self.engines:
                continue
            with self.db.begin() as conn:
                held = stored.get(part.name)
                expired = held is not None and held.expires_at <= now
                if len(self.engines) >= self.share and not expired:
                    continue
                mark = self._built(part).computer.fingerprint()  # the registry slice's
                lease = leases.acquire(conn, part.name, self.holder, mark, now, self.ttl_s)
            if lease is not None:
                self.engines[part.name] = self._built(part)
                taken = f" from {lease.taken_from}" if lease.taken_from else ""
                log.warning(
                    "partition %s taken%s (generation %d)", part.name, taken, lease.generation
                )

    def _built(self, part: Partition) -> Engine:
        if part.name not in self.built:
            self.built[part.name] = self.make(part)
        return self.built[part.name]

    def run_passes(self) -> None:
        """One pass of every partition held, each after renewing its lease."""
        for name in sorted(self.engines):
            with self.db.begin() as conn:
                kept = leases.renew(conn, name, self.holder, datetime.now(UTC), self.ttl_s)
            if not kept:
                log.warning("partition %s lost: its lease was taken", name)
                self.engines.pop(name).reset()  # its successor holds the state now
                continue
            try:
                self.engines[name].run_pass()
            except Exception:  # retried at the next round (InfluxDB down)
                log.exception("pass of partition %s failed", name)

    def release(self) -> None:
        for engine in self.engines.values():
            engine.save_states()  # a successor on this host resumes them (snapshot.py)
        with self.db.begin() as conn:
            for name in self.engines:
                leases.release(conn, name, self.holder)
        self.engines.clear()
        for engine in self.built.values():
            engine.sink.close()

    def loop(self, interval_s: float, stop: threading.Event) -> None:
        try:
            while not stop.is_set():
                started = time.monotonic()
                self.claim()
                self.run_passes()
                stop.wait(pause(started, interval_s))
        finally:
            self.release()
