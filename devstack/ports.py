"""Free-port allocation and port readiness checks."""

from __future__ import annotations

import socket
import time

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
