"""The `integration` marker and the fast run's guard (tests/support/integration.py) themselves."""

from __future__ import annotations

import asyncio
import re
import socket
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.support.integration import SERVER_FIXTURES, Guard, leaves_out_integration, needs_server

TESTS = Path(__file__).resolve().parents[1]


def _config(markexpr: str) -> pytest.Config:
    return SimpleNamespace(getoption=lambda name, default=None: markexpr)  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("markexpr", "fast"),
    [
        ("not integration", True),
        ("not integration and not slow", True),
        ("", False),
        ("integration", False),
        ("slow", False),
        ("not slow", False),
        ("not integration or slow", False),
    ],
)
def test_a_fast_run_is_one_whose_marks_leave_integration_tests_out(
    markexpr: str, fast: bool
) -> None:
    assert leaves_out_integration(_config(markexpr)) is fast


def test_a_server_fixture_or_a_postgresql_variant_makes_an_integration_test() -> None:
    def item(*fixtures: str, **params: str) -> pytest.Item:
        callspec = SimpleNamespace(params=params) if params else None
        return SimpleNamespace(fixturenames=list(fixtures), callspec=callspec)  # type: ignore[return-value]

    assert needs_server(item("tmp_path", "influx"))
    assert needs_server(item("processes"))
    assert needs_server(item("engine", "db_url", db_url="postgresql"))
    assert not needs_server(item("engine", "db_url", db_url="sqlite"))
    assert not needs_server(item("tmp_path", "monkeypatch"))


def test_every_server_fixture_is_defined_somewhere() -> None:
    """A renamed fixture must be renamed in SERVER_FIXTURES too (or its tests lose the mark)."""
    source = "\n".join(p.read_text(encoding="utf-8") for p in TESTS.rglob("*.py"))
    defined = set(re.findall(r"@pytest\.fixture[^\n]*\n(?:@[^\n]*\n)*def (\w+)\(", source))
    assert SERVER_FIXTURES - defined == set()


def test_the_guard_refuses_processes_and_ports_naming_the_test(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    guard = Guard()
    guard.test = "tests/x/test_y.py::test_z"
    guard.install(monkeypatch)
    with pytest.raises(pytest.fail.Exception) as refused:
        subprocess.run(["true"], check=False)
    message = str(refused.value)
    assert message.startswith("tests/x/test_y.py::test_z started a process (['true'])")
    assert "`processes`" in message and "integration" in message
    with socket.socket() as sock, pytest.raises(pytest.fail.Exception, match="bound a socket"):
        sock.bind(("127.0.0.1", 0))
    # What runs in-process stays allowed: socket pairs (asyncio's loops), Unix sockets.
    left, right = socket.socketpair()
    left.close()
    right.close()
    asyncio.new_event_loop().close()
