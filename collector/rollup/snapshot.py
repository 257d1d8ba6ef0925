"""The rollup's meter states on disk, so that a restarted rollup resumes its sites.

Without them a restarted rollup recomputes every site from raw readings, with
the counter context around its window, the first time the site sends again:
for a whole read interval after a restart every pass costs what a new-site
pass costs (about twice a steady one), when a city's passes need most of
their interval already.

What is kept: each meter's continuity state (state.py), the newest reading
taken per site, the sites known silent (compute.py) and the arrival markers
taken (touched.py: those of the slack before the cursor, taken again by a
new process, would otherwise send their sites to a recompute) — as of the end of a
completed pass, tagged with that pass's time (`until_ms`, the arrival cursor
it wrote) and the fingerprint of the registry and rules it ran under. A
restarted rollup takes them only when the fingerprint is the one its cursor
and its own registry carry and the snapshot is not newer than the cursor;
it then takes the arrival markers again from the snapshot's time, so that
readings taken by passes after the snapshot (a crash between two saves) are
fed to the states again rather than skipped. Anything else is recomputed
from raw readings as before: a snapshot can make a restart faster, never
its figures different.

Saved at shutdown (after the last pass) and every `every_s` from a forked
child: the child has the pass's memory copy-on-write and writes it while the
parent runs on, as Redis's BGSAVE does; pickling a million meters' states
takes tens of seconds, longer than a pass can wait. The file is written
whole to a temporary name and renamed, so a reader finds the old snapshot or
the new one, never half of one. It is the rollup's own file (mode 0600): it
is read with pickle, which runs what a file says, so it must not be
writable by anyone else.
"""

from __future__ import annotations

import gc
import logging
import os
import pickle
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

log = logging.getLogger("collector.rollup")

MAGIC = b"gwangju rollup meter states v1\n"


@dataclass
class Saved:
    """Meter states as of the end of the pass at `until_ms` (its arrival cursor)."""

    until_ms: int
    fingerprint: str
    states: dict[tuple[str, str, str], Any]  # state.MeterState per (utility, site, meter)
    site_last: dict[str, int]
    quiet: dict[str, int]
    taken: dict[tuple[str, int], None] = field(default_factory=dict)  # markers (touched.py)
    owner: str = ""  # the store and partition the states belong to (Snapshots.owner)


def _unpickled(f: BinaryIO) -> object:
    """pickle.load without the cyclic collector: millions of new objects set it off
    again and again (a city's states loaded 4x slower with it; none is garbage). They
    are then frozen, as heap.py freezes the states after each pass: else the first
    collection after the load scans them all (0.2 s at 60,000 meters)."""
    was = gc.isenabled()
    gc.disable()
    try:
        return pickle.load(f)
    finally:
        gc.freeze()
        if was:
            gc.enable()


class Snapshots:
    """Where a rollup keeps its meter states, and when it writes them."""

    def __init__(
        self,
        path: Path,
        every_s: float,
        clock: Callable[[], float] = time.monotonic,
        owner: str = "",
    ) -> None:
        self.path = path
        self.every_s = every_s  # 0: saved at shutdown only
        # Whose states these are (InfluxDB, bucket, partition): a file copied from another
        # deployment, or two rollups given one path, is refused even where a cursor and a
        # registry happen to agree.
        self.owner = owner
        self.clock = clock
        self._due = clock() + every_s
        self._child: int | None = None
        self._read: list[Saved | None] = []  # read ahead, for the first load

    def read_ahead(self) -> None:
        """Read the snapshot now, for the first pass to take: a process reads it while a
        child parses its registry (telemetry/registry/lean.py), so that its first pass
        does not (at a million meters the states take seconds to load)."""
        self._read = [self._load()]

    def load(self) -> Saved | None:
        """The snapshot on disk, or None (none yet, or unreadable: then said why)."""
        if self._read:
            return self._read.pop()
        return self._load()

    def _load(self) -> Saved | None:
        try:
            with self.path.open("rb") as f:
                if f.read(len(MAGIC)) != MAGIC:
                    log.warning(
                        "meter states %s: not a snapshot of this version, ignored", self.path
                    )
                    return None
                saved = _unpickled(f)
        except FileNotFoundError:
            return None
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError) as exc:
            log.warning("meter states %s unreadable, ignored: %s", self.path, exc)
            return None
        if not isinstance(saved, Saved):
            log.warning("meter states %s: unexpected content, ignored", self.path)
            return None
        if saved.owner != self.owner:
            log.warning("meter states %s are %r's, not %r's: ignored", self.path, saved.owner,
                        self.owner)  # fmt: skip
            return None
        return saved

    def save(self, saved: Saved) -> None:
        """Write the snapshot whole, then rename it over the old one."""
        saved.owner = self.owner
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(MAGIC)
                pickle.dump(saved, f, protocol=pickle.HIGHEST_PROTOCOL)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def due(self) -> bool:
        """Whether a periodic save is due and none is being written."""
        if self._child is not None:
            done, _status = os.waitpid(self._child, os.WNOHANG)
            if done == 0:
                return False
            self._child = None
        return self.every_s > 0 and self.clock() >= self._due

    def save_in_background(self, saved: Saved) -> None:
        """Write the snapshot from a forked child (copy-on-write: the parent goes on)."""
        self._due = self.clock() + self.every_s
        pid = os.fork()
        if pid == 0:  # the child: write and leave, touching nothing the parent holds
            code = 1
            try:
                self.save(saved)
                code = 0
            except BaseException as exc:  # the child must reach _exit
                os.write(2, f"meter states {self.path} not saved: {exc!r}\n".encode())
            finally:
                os._exit(code)
        self._child = pid

    def wait(self) -> None:
        """Let a background save finish (before a save of its own, or at exit)."""
        if self._child is not None:
            os.waitpid(self._child, 0)
            self._child = None
