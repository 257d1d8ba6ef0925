"""The `integration` marker, decided from fixtures, and the fast run's guard.

A test is an integration test when its fixture closure holds one of
SERVER_FIXTURES (they start a server, a browser or a process), or a
parametrised fixture in a variant that does (`db_url` on PostgreSQL).
tests/conftest.py marks those tests at collection; nobody marks one by hand.

A fast run (`-m "not integration"`, what `scripts/test.sh --fast` passes) then
refuses, in every test it runs, to start a process or to bind an internet
socket: a test that does so without such a fixture would otherwise hide in
the fast run, slowly, or fail there for want of a server.
"""

from __future__ import annotations

import multiprocessing.process
import os
import socket
import subprocess
import threading
from collections.abc import Callable

import pytest
from _pytest.mark.expression import Expression

MARK = "integration"

# Fixtures that start a server, a browser or a process (wherever they are defined;
# a fixture that only uses one of these is found through the closure).
SERVER_FIXTURES = frozenset(
    {
        # tests/conftest.py: the session's Mosquitto, InfluxDB (behind nginx) and PostgreSQL;
        # `processes` (child processes) and `local_servers` (servers in the test's process).
        "mosquitto",
        "influx",
        "postgres",
        "processes",
        "local_servers",  # in-process servers on local ports: receivers, SMTP, a fake Grafana
        # Own brokers and databases: tests/collector, tests/edge_agent, tests/alerts/platform.py,
        # tests/simulators/test_fleet.py, tests/rollup/test_*_e2e.py and test_counter_glitches.py.
        "broker",
        "own_influx",
        "expiring_influx",
        "secure_broker",  # tests/security: the deployed mosquitto.conf, certificates (openssl)
        # Child processes: components, simulators, socat pseudo-terminals, docker-compose.
        "procs",  # tests/edge_agent, tests/api/test_e2e.py
        "collectors",  # tests/collector
        "serve",  # tests/simulators: `python -m simulators serve`
        "running",  # tests/simulators/test_faults.py, tests/alerts/platform.py
        "pty_pair",  # socat: tests/simulators/test_rtu.py, tests/edge_agent/test_agent_rtu.py
        "services",  # `docker-compose config`: tests/deploy, tests/alerts_api/test_compose.py
        "resolved",  # `docker-compose config`: tests/dashboards/test_provisioning.py
        "stack",  # tests/importers: broker and collector
        "rig",  # tests/collector/test_poison.py
        "pipeline_run",  # tests/dashboards: the whole pipeline
        # tests/web: the whole platform and chromium.
        "portal",
        "chromium",
    }
)

# Parametrised fixtures whose named variants start a server (the others run in-process).
SERVER_VARIANTS: dict[str, frozenset[object]] = {
    "db_url": frozenset({"postgresql"}),  # tests/db/conftest.py: SQLite file or PostgreSQL
}


def needs_server(item: pytest.Item) -> bool:
    """Whether the test starts a real server or process, judged from its fixtures."""
    if SERVER_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    callspec = getattr(item, "callspec", None)
    params = callspec.params if callspec is not None else {}
    return any(params.get(name, object()) in values for name, values in SERVER_VARIANTS.items())


def leaves_out_integration(config: pytest.Config) -> bool:
    """Whether `-m` deselects integration tests whatever their other marks (a fast run)."""
    markexpr = config.getoption("markexpr", "") or ""
    if not markexpr:
        return False
    try:
        expression = Expression.compile(markexpr)
    except Exception:  # pytest reports a bad expression itself
        return False

    def marked(others: bool) -> Callable[..., bool]:
        """A test marked `integration`, and with every other mark or none."""
        return lambda name, /, **_kw: name == MARK or others

    return not expression.evaluate(marked(False)) and not expression.evaluate(marked(True))


class Guard:
    """Refuses processes and listening sockets in a fast run, naming the test."""

    def __init__(self) -> None:
        self.test = "(no test)"
        self.from_threads: list[str] = []  # refusals a background thread swallowed

    def refuse(self, what: str) -> None:
        message = (
            f"{self.test} {what} in a fast run (-m 'not {MARK}'), which leaves out only the "
            f"tests that request a server or process fixture. Get the server or process through "
            f"such a fixture (e.g. `processes`, `local_servers`; the set is SERVER_FIXTURES in "
            f"tests/support/integration.py) so that the `{MARK}` marker applies."
        )
        if threading.current_thread() is not threading.main_thread():
            self.from_threads.append(message)
        pytest.fail(message, pytrace=False)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        guard = self
        popen_init = subprocess.Popen.__init__
        bind = socket.socket.bind

        def guarded_popen_init(self: subprocess.Popen, args: object, *more, **kw) -> None:  # type: ignore[no-untyped-def]
            guard.refuse(f"started a process ({args!r})")
            popen_init(self, args, *more, **kw)  # pragma: no cover (refused above)

        def guarded_bind(self: socket.socket, address: object) -> None:
            if self.family in (socket.AF_INET, socket.AF_INET6):
                guard.refuse(f"bound a socket to {address!r} (a server, or a free port for one)")
            bind(self, address)

        def refused(what: str) -> Callable[..., object]:
            def call(*_args: object, **_kw: object) -> object:
                guard.refuse(what)
                raise AssertionError("unreachable")  # pragma: no cover

            return call

        monkeypatch.setattr(subprocess.Popen, "__init__", guarded_popen_init)
        monkeypatch.setattr(socket.socket, "bind", guarded_bind)
        monkeypatch.setattr(os, "fork", refused("forked"))
        monkeypatch.setattr(
            multiprocessing.process.BaseProcess, "start", refused("started a multiprocessing child")
        )
