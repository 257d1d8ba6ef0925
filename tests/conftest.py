"""Shared fixtures: real Mosquitto and InfluxDB (behind nginx), started once per session;
the `integration` marker, given from fixtures, and the fast run's guard (tests/support/integration.py).
"""

from __future__ import annotations

import logging
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack import InfluxServer, MosquittoServer
from devstack.postgres import PostgresServer
from telemetry.db.migrate import upgrade
from telemetry.logs import JsonFormatter
from tests.support import integration, leaks
from tests.support.processes import SESSION_DB, LocalServers, Processes

_INTEGRATION_COUNT = pytest.StashKey[int]()
_GUARD = integration.Guard()


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`integration` on every test that needs a server or process, judged from its fixtures."""
    count = 0
    for item in items:
        if integration.needs_server(item):
            item.add_marker(integration.MARK)
            count += 1
    config.stash[_INTEGRATION_COUNT] = count


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    _GUARD.test = item.nodeid  # before any fixture of the test starts something


@pytest.fixture(scope="session", autouse=True)
def _fast_run_guard(request: pytest.FixtureRequest) -> Iterator[None]:
    """In a fast run, a test that starts a process or binds a socket fails, naming itself."""
    if not integration.leaves_out_integration(request.config):
        yield
        return
    with pytest.MonkeyPatch.context() as patch:
        _GUARD.install(patch)
        yield


@pytest.fixture(scope="session", autouse=True)
def _platform_db_of_the_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A component run without a database URL would take the default one, the checkout's
    var/platform.sqlite (a developer's own platform database): in tests the default is a
    database of the session's (ENERGY_DB_URL, which every component reads;
    tests/support/processes.py hands it to the processes tests start)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('platform-db') / 'platform.sqlite'}"
    upgrade(url)  # as a deployment's is (the API migrates it when it starts)
    SESSION_DB["ENERGY_DB_URL"] = url  # components the tests start
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ENERGY_DB_URL", url)  # settings read in-process
        yield
    SESSION_DB.clear()


@pytest.fixture(autouse=True)
def _fast_run_guard_threads() -> Iterator[None]:
    """What the guard refused in a background thread fails the test too."""
    yield
    if _GUARD.from_threads:
        refused, _GUARD.from_threads[:] = list(_GUARD.from_threads), []
        pytest.fail("\n".join(refused), pytrace=False)


@pytest.fixture(autouse=True)
def _component_logging_undone() -> Iterator[None]:
    """A command run in-process (CliRunner) sets up the component's logging on the runner's
    stderr, which is closed when the command returns: a later test's records (alembic's,
    say) would go to that closed stream and print "--- Logging error ---" into whatever
    that test reads. Undo it after each test: the component's handlers, level and hooks."""
    root = logging.getLogger()
    level, hooks = root.level, (sys.excepthook, threading.excepthook)
    yield
    for handler in [h for h in root.handlers if isinstance(h.formatter, JsonFormatter)]:
        root.removeHandler(handler)
    root.setLevel(level)
    sys.excepthook, threading.excepthook = hooks
    logging.captureWarnings(False)


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:  # type: ignore[no-untyped-def]
    if integration.leaves_out_integration(config):
        left_out = config.stash.get(_INTEGRATION_COUNT, 0)
        terminalreporter.write_line(
            f"fast run: {left_out} integration tests left out (scripts/test.sh runs them)"
        )
    factory = getattr(config, "_tmp_path_factory", None)
    if factory is None or factory._basetemp is None:
        return  # no test made a temporary directory: none started anything there
    found = leaks.left_running(factory.getbasetemp())
    for pid, argv in found:
        terminalreporter.write_line(f"left running after the tests, stopped: {pid} {argv[:200]}")
    leaks.stop([pid for pid, _argv in found])


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    """Child processes for a test (components run once, daemons it starts), stopped afterwards;
    a test that starts any process requests this (or another server fixture)."""
    children = Processes(tmp_path)
    try:
        yield children
    finally:
        children.stop_all()


@pytest.fixture
def local_servers() -> Iterator[LocalServers]:
    """Servers a test runs in its own process on local ports (and free ports for them),
    closed afterwards; a test that binds a socket requests this (or another server fixture)."""
    servers = LocalServers()
    try:
        yield servers
    finally:
        servers.close()


@pytest.fixture(scope="session")
def mosquitto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MosquittoServer]:
    server = MosquittoServer(tmp_path_factory.mktemp("mosquitto"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def influx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InfluxServer]:
    server = InfluxServer(tmp_path_factory.mktemp("influx"))
    server.start()
    server.create_database("energy")
    server.create_database("energy_public")
    yield server
    server.stop()


@pytest.fixture
def influx_db(influx: InfluxServer) -> str:
    """A fresh database per test, so tests never see each other's points."""
    name = f"t_{uuid.uuid4().hex[:8]}"
    influx.create_database(name)
    return name


# --- fixtures added by other packages below ---


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """A real PostgreSQL cluster (Debian's package) for the platform database's suites."""
    server = PostgresServer(tmp_path_factory.mktemp("postgres"))
    server.start()
    yield server
    server.cleanup()
