"""A big sites file loaded without keeping the memory its parse took.

Loading composes the whole YAML node tree (each scalar a node with two
marks) next to the data and the models; the models stay, the rest is
freed, but CPython's allocator keeps the arenas the long-lived models
share with the freed nodes: a process held ~14 KB per site after
loading 40,000 sites, 3.7 KB of it the registry itself. Loaded in a
forked child and handed back pickled, the registry is rebuilt compactly
and the child's peak goes with the child (40,000 sites: 550 MB → 147 MB).
The city's ~600,000 sites would otherwise keep ~8 GB in each collector
and the rollup. For long-running processes, at start (before threads:
forking a threaded process may copy a held lock); small files load in
place, and a file with mistakes is loaded again in place, for the errors
with their lines.
"""

from __future__ import annotations

import multiprocessing
import pickle
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path

from telemetry.paths import resolve_config_path
from telemetry.registry.loader import load_registry
from telemetry.registry.registry import Registry

LEAN_ABOVE_BYTES = 4 * 2**20  # ~14,000 fleet sites


def load_registry_lean(
    sites_path: Path | str, meanwhile: Callable[[], None] | None = None
) -> Registry:
    """load_registry, through a child process when the sites file is big; `meanwhile`
    runs while the child parses (in place: before the load)."""
    path = resolve_config_path(sites_path)
    if (
        path.stat().st_size < LEAN_ABOVE_BYTES
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        if meanwhile is not None:
            meanwhile()
        return load_registry(path)
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_load_into, args=(path, send), daemon=True)
    child.start()
    send.close()
    if meanwhile is not None:
        meanwhile()
    try:
        data = receive.recv_bytes()
    except EOFError:  # the child failed: a mistake in the file (or out of memory)
        data = b""
    child.join()
    return pickle.loads(data) if data else load_registry(path)


def _load_into(path: Path, send: Connection) -> None:
    try:
        send.send_bytes(pickle.dumps(load_registry(path), protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:  # the parent loads again and raises with lines
        pass
    finally:
        send.close()
