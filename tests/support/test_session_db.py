"""A component the tests start without naming a platform database gets the session's,
never the checkout's var/platform.sqlite (a developer's own)."""

from __future__ import annotations

import os
from pathlib import Path

from devstack.supervisor import PROJECT_ROOT
from tests.support.processes import Processes, child_env, run_module

CHECKOUT_DB = PROJECT_ROOT / "var" / "platform.sqlite"


def _mtime(path: Path) -> int | None:
    return path.stat().st_mtime_ns if path.exists() else None


def test_a_component_without_a_database_url_gets_the_sessions() -> None:
    url = child_env()["ENERGY_DB_URL"]
    assert url.startswith("sqlite:///") and url == os.environ["ENERGY_DB_URL"]
    assert not url.removeprefix("sqlite:///").startswith(str(PROJECT_ROOT)), url
    named = child_env({"ENERGY_DB_URL": "sqlite:///elsewhere.sqlite"})["ENERGY_DB_URL"]
    assert named == "sqlite:///elsewhere.sqlite"  # a test's own choice wins


def test_the_migration_cli_writes_the_sessions_database_not_the_checkouts(
    processes: Processes,
) -> None:
    before = _mtime(CHECKOUT_DB)
    done = run_module("telemetry.db", "upgrade", timeout=120)
    assert done.returncode == 0, done.stderr
    session_db = Path(child_env()["ENERGY_DB_URL"].removeprefix("sqlite:///"))
    assert str(session_db) in done.stdout and session_db.stat().st_size > 0
    assert _mtime(CHECKOUT_DB) == before
