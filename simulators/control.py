"""The fault control file: JSON `{"faults": {"SITE/METER": "KIND", ...}}`.

`serve --control PATH` re-reads it whenever its modification time changes, so
a test (or an operator) can script outages while the simulator runs. Other
packages' tests call `write_faults` to change it atomically.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from simulators.faults import Fault, FaultError, parse_fault


def write_faults(path: str | os.PathLike[str], faults: Mapping[str, str]) -> None:
    """Write the control file atomically (write a temporary file, then rename)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    for key, kind in faults.items():
        if "/" not in key:
            raise FaultError(f"{key!r}: expected SITE/METER")
        parse_fault(kind)  # fail here, in the caller, rather than in the simulator
    payload = json.dumps({"faults": dict(faults)}, indent=2, sort_keys=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(payload)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    # mtime resolution can be coarse: make sure a quick second write is seen as a change
    stat = target.stat()
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))


def read_faults(path: Path) -> dict[str, Fault]:
    """Parse the control file; raise FaultError naming the file and the entry."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise FaultError(f"{path}: not valid JSON: {exc}") from None
    faults = data.get("faults") if isinstance(data, dict) else None
    if not isinstance(faults, dict):
        raise FaultError(f'{path}: expected {{"faults": {{"SITE/METER": "KIND"}}}}')
    out: dict[str, Fault] = {}
    for key, kind in faults.items():
        if not isinstance(kind, str):
            raise FaultError(f"{path}: faults.{key}: expected a string such as 'timeout'")
        try:
            out[key] = parse_fault(kind)
        except FaultError as exc:
            raise FaultError(f"{path}: faults.{key}: {exc}") from None
    return out


class ControlFile:
    """Polls a control file's mtime; `changed()` returns new faults when it changed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None

    def changed(self) -> dict[str, Fault] | None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            stamp = None
            if self._stamp is None:
                return None
            self._stamp = None
            return {}  # file removed: back to the flags' faults
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp == self._stamp:
            return None
        self._stamp = stamp
        return read_faults(self.path)
