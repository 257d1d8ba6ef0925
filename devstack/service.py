"""What every devstack server shares: launching its daemons, stop, kill, restart, logs.

A server (Mosquitto, InfluxDB behind nginx, PostgreSQL) says how to start and
where it logs; this base gives it the rest, the same way for each.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

from devstack._process import Daemon, log_tails
from devstack.ports import ensure_port_free

HOST = "127.0.0.1"


class Service:
    """A server made of daemons; subclasses give `start`, `_daemons` and `_log_paths`."""

    host: str = HOST
    start_timeout: float

    def start(self) -> Self:
        raise NotImplementedError

    def _daemons(self) -> Sequence[Daemon | None]:
        """The daemons in stop order: fronts first, the main one (whose pid is `pid`) last."""
        raise NotImplementedError

    def _log_paths(self) -> Sequence[Path]:
        raise NotImplementedError

    @property
    def running(self) -> bool:
        return all(d is not None and d.running for d in self._daemons())

    @property
    def pid(self) -> int | None:
        """The main daemon's process id while it runs."""
        main = self._daemons()[-1]
        return main.pid if main is not None else None

    def stop(self) -> None:
        """Clean stop (SIGTERM), so each daemon saves its state."""
        for daemon in self._daemons():
            if daemon is not None:
                daemon.stop()

    def kill(self) -> None:
        """SIGKILL every daemon: a crash, not a shutdown."""
        for daemon in self._daemons():
            if daemon is not None:
                daemon.kill()

    def restart(self) -> Self:
        self.stop()
        return self.start()

    def log_text(self) -> str:
        """Every log in full, each under a header with its file name."""
        return "\n".join(
            f"[{p.name}]\n{p.read_text(errors='replace')}" for p in self._log_paths() if p.exists()
        )

    def _log_tail(self) -> str:
        return log_tails(*self._log_paths())

    def _launch(
        self,
        name: str,
        argv: Sequence[str],
        output_log: Path,
        port: int,
        ready: Callable[[], bool],
        env: dict[str, str] | None = None,
    ) -> Daemon:
        """Start one daemon on a port nothing else holds and wait until `ready`."""
        ensure_port_free(name, self.host, port)
        daemon = Daemon(name, argv, output_log, env)
        daemon.spawn()
        try:
            daemon.wait_until(ready, self.start_timeout, self._log_tail)
        except BaseException:
            daemon.kill()  # an exited leader may leave children behind
            raise
        return daemon

    def _close(self) -> None:
        """What leaving a with-block does."""
        self.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._close()
