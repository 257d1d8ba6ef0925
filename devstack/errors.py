"""Errors raised by devstack when a local service cannot be provided."""

from __future__ import annotations

import shutil
from pathlib import Path

# Debian keeps daemons in sbin, which a non-login root shell's PATH may lack.
_EXTRA_DIRS = ("/usr/sbin", "/sbin", "/usr/local/sbin")

# binary -> the Debian package(s) that ship it, named in the error message.
PACKAGES: dict[str, str] = {
    "mosquitto": "mosquitto",
    "influxd": "influxdb",
    "nginx": "nginx-light",
}


class DevstackError(RuntimeError):
    """Base class for devstack failures."""


class MissingBinary(DevstackError):
    """A service binary is not installed; the message names the package to install."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.package = PACKAGES.get(binary, binary)
        hint = f"apt-get install {self.package}"
        if binary == "nginx":
            hint += " (or the Debian package 'nginx')"
        super().__init__(
            f"{binary} not found: install the Debian package '{self.package}' ({hint})"
        )


class StartupError(DevstackError):
    """A service did not come up; the message ends with the tail of its log."""

    def __init__(self, service: str, reason: str, log_tail: str) -> None:
        self.service = service
        self.log_tail = log_tail
        super().__init__(f"{service} failed to start: {reason}\n--- log tail ---\n{log_tail}")


def find_binary(name: str) -> str:
    """Absolute path of ``name`` on PATH or in the sbin dirs, else MissingBinary."""
    found = shutil.which(name)
    if found:
        return found
    for directory in _EXTRA_DIRS:
        found = shutil.which(name, path=directory)
        if found:
            return found
    raise MissingBinary(name)


def tail(path: Path, lines: int = 40) -> str:
    """Last ``lines`` lines of a log file, or a note when there is none."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:]) or "(log is empty)"
