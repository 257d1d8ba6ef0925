"""One CLI voice: a bad flag, config or setting stops every component with
`<component>: message` on stderr and exit code 2 (never a traceback or a box)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

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
    return subprocess.run(
        [sys.executable, "-m", *argv], capture_output=True, text=True, timeout=60, check=False
    )


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
def test_a_bad_config(argv: list[str], component: str, bad_config: Path) -> None:
    err = _refusal(_run([*argv, "--config", str(bad_config)]), component)
    assert f"{bad_config}:3: sites[0].kind" in err


@pytest.mark.parametrize(
    ("argv", "component", "field"), BAD_SETTING, ids=[" ".join(a[:2]) for a, *_ in BAD_SETTING]
)
def test_a_bad_setting(argv: list[str], component: str, field: str) -> None:
    err = _refusal(_run(argv), component)
    assert err.startswith(f"{component}: invalid settings: {field}: "), err
