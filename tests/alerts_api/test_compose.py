"""docker-compose.yml runs `alerts` beside the collector and rollups, on the compose PostgreSQL."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from telemetry.paths import PROJECT_ROOT
from tests.support.processes import Processes

COMPOSE = PROJECT_ROOT / "docker-compose.yml"
ENV_EXAMPLE = PROJECT_ROOT / "deploy" / ".env.example"
pytestmark = pytest.mark.skipif(
    shutil.which("docker-compose") is None, reason="Debian's docker-compose is not installed"
)


def _config(
    processes: Processes, env_text: str, tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    env = tmp_path / "test.env"
    env.write_text(env_text)
    return processes.run(
        ["docker-compose", "--env-file", str(env), "-f", str(COMPOSE), "config"],
        timeout=60, cwd=PROJECT_ROOT,
    )  # fmt: skip


@pytest.fixture
def services(tmp_path: Path, processes: Processes) -> dict[str, Any]:
    done = _config(processes, ENV_EXAMPLE.read_text(), tmp_path)
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)["services"]


def test_alerts_runs_like_the_collector_on_the_platform_database(services: dict[str, Any]) -> None:
    alerts, collector = services["alerts"], services["collector"]
    assert alerts["image"] == collector["image"] and alerts["build"] == collector["build"]
    assert "python -m alerts run" in " ".join(alerts["command"])
    assert "/tokens/alerts.token" in " ".join(alerts["command"])
    db_url = alerts["environment"]["ENERGY_DB_URL"]
    assert db_url.startswith("postgresql+psycopg://") and "@postgres:5432/" in db_url
    # The API reads the same alert tables; the password is never in the URL.
    assert services["api"]["environment"]["ENERGY_DB_URL"] == db_url
    assert ":" not in db_url.split("//")[1].split("@")[0]
    for name in ("alerts", "api"):
        assert services[name]["depends_on"]["db-migrate"]["condition"] == (
            "service_completed_successfully"
        )
    assert services["db-migrate"]["command"] == ["python", "-m", "telemetry.db", "upgrade"]
    volumes = services["postgres"]["volumes"]
    assert any(str(v).endswith("/var/lib/postgresql/data") or "postgres-data" in str(v)
               for v in volumes)  # fmt: skip


def test_the_platform_database_password_is_required(tmp_path: Path, processes: Processes) -> None:
    env = "\n".join(
        line
        for line in ENV_EXAMPLE.read_text().splitlines()
        if not line.startswith("PLATFORM_DB_PASSWORD=")
    )
    done = _config(processes, env, tmp_path)
    assert done.returncode != 0 and "PLATFORM_DB_PASSWORD" in done.stderr


def test_influxdb_set_up_makes_the_alerts_token() -> None:
    init = (PROJECT_ROOT / "deploy" / "influxdb" / "init.sh").read_text()
    line = next(x for x in init.splitlines() if x.startswith("make_token alerts "))
    assert '--read-bucket "$raw_id"' in line and '--write-bucket "$raw_id"' in line


def test_the_api_writes_acknowledgements_with_its_own_write_only_token(
    services: dict[str, Any],
) -> None:
    init = (PROJECT_ROOT / "deploy" / "influxdb" / "init.sh").read_text()
    line = next(x for x in init.splitlines() if x.startswith("make_token api-events "))
    assert line.split()[2:] == ["--write-bucket", '"$raw_id"']
    api = " ".join(services["api"]["command"])
    assert "ENERGY_INFLUX_EVENTS_TOKEN=$$(cat /tokens/api-events.token)" in api
