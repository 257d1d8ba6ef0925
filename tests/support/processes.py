"""Child processes for the tests: a component run once, a child logging to a file, a clean stop;
and servers a test runs in its own process on local ports.

Tests get them through the `processes` and `local_servers` fixtures
(tests/conftest.py), which stop what they started and make the test an
integration test; fixtures that start servers use these functions directly.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

from devstack import component_env, free_port
from telemetry.paths import PROJECT_ROOT

T = TypeVar("T")


def python_m(module: str, *args: object) -> list[str]:
    """argv of `python -m module args...` with this interpreter."""
    return [sys.executable, "-m", module, *(str(a) for a in args)]


# The platform database a component gets when its test names none (tests/conftest.py sets
# it per session): never the checkout's var/platform.sqlite, a developer's own.
SESSION_DB: dict[str, str] = {}


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A component's environment: no ENERGY_* of the caller, the project importable, the
    session's platform database, then extra."""
    return component_env({"PYTHONPATH": str(PROJECT_ROOT), **SESSION_DB, **(extra or {})})


def run_module(
    module: str,
    *args: object,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
    cwd: Path = PROJECT_ROOT,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """`python -m module args...` to its end, output captured as text, never raising on its code."""
    return subprocess.run(
        python_m(module, *args),
        env=child_env(env),
        cwd=cwd,
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_logged(
    argv: Sequence[object],
    log: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path = PROJECT_ROOT,
) -> subprocess.Popen[bytes]:
    """Start argv with stdout and stderr appended to `log` (stdin closed)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        return subprocess.Popen(
            [str(a) for a in argv],
            cwd=cwd,
            env=child_env(env),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )


def stop(
    proc: subprocess.Popen,  # type: ignore[type-arg]
    timeout: float = 10.0,
    before_kill: Callable[[], None] | None = None,
) -> int:
    """SIGTERM, then SIGKILL if it has not exited within `timeout` s; its exit code.

    `before_kill`: called before the SIGKILL (e.g. to have it print its threads' stacks).
    """
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            if before_kill is not None:
                before_kill()
            proc.kill()
            proc.wait()
    return proc.returncode


def kill(proc: subprocess.Popen) -> None:  # type: ignore[type-arg]
    """SIGKILL if it still runs, and reap it."""
    if proc.poll() is None:
        proc.kill()
    proc.wait()


class Processes:
    """What the `processes` fixture hands a test: children it starts or runs, all stopped after."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.started: list[subprocess.Popen] = []  # type: ignore[type-arg]

    def run(
        self, argv: Sequence[object], timeout: float = 120, **kw: object
    ) -> subprocess.CompletedProcess[str]:
        """Any program to its end, output captured as text (kw: subprocess.run's)."""
        options: dict = {"capture_output": True, "text": True, "check": False} | kw
        return subprocess.run([str(a) for a in argv], timeout=timeout, **options)

    def run_module(
        self, module: str, *args: object, **kw: object
    ) -> subprocess.CompletedProcess[str]:
        """`python -m module args...` to its end (see `run_module`)."""
        return run_module(module, *args, **kw)  # type: ignore[arg-type]

    def start(
        self, argv: Sequence[object], log: Path | None = None, **kw: object
    ) -> subprocess.Popen[bytes]:
        """A child logging to `log` (default: a file in the test's directory), stopped after."""
        log = log or self.workdir / f"child-{len(self.started)}.log"
        proc = start_logged(argv, log, **kw)  # type: ignore[arg-type]
        self.started.append(proc)
        return proc

    def adopt(self, proc: subprocess.Popen) -> subprocess.Popen:  # type: ignore[type-arg]
        """A child started otherwise, stopped with the others."""
        self.started.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in reversed(self.started):
            stop(proc)


class LocalServers:
    """What the `local_servers` fixture hands a test: free ports, and servers (context
    managers: a webhook receiver, an SMTP server, a fake Grafana) closed after the test."""

    def __init__(self) -> None:
        self._open = contextlib.ExitStack()

    def port(self) -> int:
        """A free TCP port on 127.0.0.1 (for a server, or for one that is not there)."""
        return free_port()

    def start(self, server: contextlib.AbstractContextManager[T]) -> T:
        """The server entered now and left after the test."""
        return self._open.enter_context(server)

    def close(self) -> None:
        self._open.close()
