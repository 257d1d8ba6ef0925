"""One CLI voice: a bad flag, config or setting stops every component with
`<component>: message` on stderr and exit code 2 (never a traceback or a box).

The refusals run in this process: each component's `__main__` (what
`python -m <component>` runs) under Typer's CliRunner isolation, which
captures stdout and stderr; one smoke test runs a real `python -m` for the
interpreter's own exit code.
"""

from __future__ import annotations

import contextlib
import logging
import runpy
import signal
import subprocess
import sys
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest
from typer.testing import CliRunner

from tests.support.processes import Processes

BAD_FLAG = [
    (["collector"], "collector"),
    (["collector", "init"], "collector"),
    (["collector", "rollup"], "collector"),
    (["collector.rollup"], "collector rollup"),
    (["edge_agent"], "edge_agent"),
    (["simulators", "serve"], "simulators"),
    (["simulators", "fleet"], "simulators"),
    (["api"], "api"),
    (["api", "sign-household"], "api"),
    (["dashboards", "build"], "dashboards"),
    (["telemetry.broker_acl"], "telemetry.broker_acl"),
]
BAD_CONFIG = [
    (["collector"], "collector"),
    (["collector", "rollup", "--once"], "collector rollup"),
    (["edge_agent", "--agent", "gw"], "edge_agent"),
    (["edge_agent", "--check"], "edge_agent"),
    (["simulators", "serve"], "simulators"),
    (["api"], "api"),
    (["telemetry.broker_acl"], "telemetry.broker_acl"),
]
BAD_SETTING = [
    (["collector", "--batch-size", "0"], "collector", "batch_size"),
    (["collector", "rollup", "--once", "--interval", "-1"], "collector rollup", "interval_s"),
    (["edge_agent", "--agent", "gw", "--mqtt-url", "ftp://x"], "edge_agent", "mqtt_url"),
    (
        ["simulators", "fleet", "--agents", "1", "--meters-per-agent", "1", "--interval", "1"]
        + ["--mqtt-url", "ftp://x"],
        "simulators",
        "mqtt_url",
    ),
    (["api", "--port", "70000"], "api", "api_port"),
]


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    """`python -m <argv>` in this process: the module's `__main__` as Python runs it, its
    output captured by CliRunner; the exit code is what it passes to sys.exit."""
    module, *args = argv
    with (
        _process_state_restored(),
        CliRunner().isolation() as (stdout, stderr, _output),
        mock.patch.object(sys, "argv", [module, *args]),
        warnings.catch_warnings(),
    ):
        # runpy warns when the module (telemetry.broker_acl) is already imported.
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            runpy.run_module(module, run_name="__main__", alter_sys=True)
            code: object = 0
        except SystemExit as exit_:
            code = exit_.code
        sys.stdout.flush()
        sys.stderr.flush()
        out, err = stdout.getvalue().decode(), stderr.getvalue().decode()
    return subprocess.CompletedProcess(argv, code, out, err)  # type: ignore[arg-type]


@contextlib.contextmanager
def _process_state_restored() -> Iterator[None]:
    """What a component's start may change in its process (logging, hooks, signal handlers)
    is put back: here that process is the test run."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    chatty = {name: logging.getLogger(name).level for name in ("httpx", "httpcore")}
    hooks = sys.excepthook, threading.excepthook
    showwarning, captured = warnings.showwarning, logging._warnings_showwarning  # type: ignore[attr-defined]
    handlers_of = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, was in chatty.items():
            logging.getLogger(name).setLevel(was)
        sys.excepthook, threading.excepthook = hooks
        warnings.showwarning = showwarning
        logging._warnings_showwarning = captured  # type: ignore[attr-defined]
        for sig, handler in handlers_of.items():
            signal.signal(sig, handler)


def _refusal(done: subprocess.CompletedProcess[str], component: str) -> str:
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith(f"{component}: "), done.stderr
    assert "Traceback" not in done.stderr and "╭" not in done.stderr, done.stderr
    return done.stderr


@pytest.mark.parametrize(("argv", "component"), BAD_FLAG, ids=[" ".join(a) for a, _ in BAD_FLAG])
def test_a_bad_flag(argv: list[str], component: str) -> None:
    err = _refusal(_run([*argv, "--no-such-flag"]), component)
    assert "No such option: --no-such-flag" in err
    assert f"see python -m {' '.join(argv)}".replace(".rollup", " rollup") in err


@pytest.fixture(scope="module")
def bad_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("voice") / "sites.yaml"
    path.write_text("sites:\n  - id: x\n    kind: nowhere\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("argv", "component"), BAD_CONFIG, ids=[" ".join(a) for a, _ in BAD_CONFIG]
)
def test_a_bad_config(
    argv: list[str], component: str, bad_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = bad_config.parent / "platform.sqlite"
    monkeypatch.setenv("ENERGY_DB_URL", f"sqlite:///{database}")
    err = _refusal(_run([*argv, "--config", str(bad_config)]), component)
    assert f"{bad_config}:3: sites[0].kind" in err
    assert not database.exists(), "a refused configuration created the platform database"


@pytest.mark.parametrize(
    ("argv", "component", "field"), BAD_SETTING, ids=[" ".join(a[:2]) for a, *_ in BAD_SETTING]
)
def test_a_bad_setting(argv: list[str], component: str, field: str) -> None:
    err = _refusal(_run(argv), component)
    assert err.startswith(f"{component}: invalid settings: {field}: "), err


def test_a_refusal_is_the_interpreters_exit_code(processes: Processes) -> None:
    """The one real process: `python -m` exits 2 itself, with the same one line on stderr."""
    done = processes.run_module("collector", "--no-such-flag", timeout=60)
    err = _refusal(done, "collector")
    assert "No such option: --no-such-flag" in err
    assert "see python -m collector" in err
