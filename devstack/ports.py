"""Ports: free ones, readiness checks, and configs moved to free ports."""

from __future__ import annotations

import random
import re
import socket
import time
from pathlib import Path

from devstack.errors import StartupError

# Ports already handed out by this process: the kernel may return a port again
# once its probe socket is closed, and two services must never share one.
_handed_out: set[int] = set()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on and this process never handed out."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port
    raise RuntimeError("could not find a free TCP port")


def port_open(host: str, port: int) -> bool:
    """True when a TCP connect to host:port succeeds right now."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for_port(host: str, port: int, timeout: float) -> bool:
    """Poll until host:port accepts connections; False if ``timeout`` seconds pass first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(host, port):
            return True
        time.sleep(0.05)
    return False


def ensure_port_free(service: str, host: str, port: int) -> None:
    """StartupError if something already listens there.

    Otherwise a readiness probe could be answered by that other process.
    """
    if port_open(host, port):
        raise StartupError(service, f"port {host}:{port} is already in use", "(not started)")


def port_free(port: int) -> bool:
    """True when this process could bind 127.0.0.1:port right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


# --- moving a config's ports (parallel runs share the machine) ------------------------------

# Every `port: N` of a YAML config, block or flow style.
_PORT_KEY = re.compile(r"(\bport:\s*)(\d+)")


def config_ports(text: str) -> set[int]:
    """The numbers of every `port:` key in a config's text."""
    return {int(number) for _, number in _PORT_KEY.findall(text)}


def shift_ports(text: str, offset: int) -> str:
    """The config text with every `port:` moved by offset; comments and layout kept."""
    return _PORT_KEY.sub(lambda m: f"{m.group(1)}{int(m.group(2)) + offset}", text)


# Linux hands out client ports from 32768 up: a server port there can be taken
# by some unrelated connection between the probe and the bind.
EPHEMERAL_LOW = 32_768


def free_offset(ports: set[int], low: int = 20_000, high: int = EPHEMERAL_LOW) -> int:
    """A random offset that moves every port into [low, high) where nothing is bound."""
    if not ports:
        return 0
    lowest, highest = min(ports), max(ports)
    for _ in range(200):
        offset = random.randrange(low - lowest, high - highest)
        if all(port_free(p + offset) for p in ports):
            return offset
    raise RuntimeError(f"no free range of {len(ports)} port(s) between {low} and {high}")


def shifted_config(
    source: Path, target: Path, offset: int | None = None, **placeholders: str
) -> Path:
    """Copy a config to target with its ports moved and `{NAME}` placeholders filled in.

    offset None picks a random one whose ports are free right now.
    """
    text = source.read_text(encoding="utf-8")
    if offset is None:
        offset = free_offset(config_ports(text))
    text = anchor_paths(shift_ports(text, offset), source.resolve().parent)
    for key, value in placeholders.items():
        text = text.replace("{" + key + "}", value)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target


# Top-level keys of a sites file that name other files relative to it.
_RELATIVE_PATH_KEY = re.compile(
    r"^(profiles_dir|programmes|households|units):[ \t]*([^\s#]+)", re.M
)


def anchor_paths(text: str, folder: Path) -> str:
    """A copied config still finds the files its relative paths named beside the original."""

    def anchored(m: re.Match[str]) -> str:
        value = m.group(2).strip("'\"")
        target = value if Path(value).is_absolute() else str((folder / value).resolve())
        return f"{m.group(1)}: {target}"

    return _RELATIVE_PATH_KEY.sub(anchored, text)
