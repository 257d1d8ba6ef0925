"""Grafana provisioning, grafana.ini and docker-compose.yml: they parse and point at real files."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from dashboards.build import CONTAINER_DASHBOARDS, CONTAINER_PROVISIONING, PROVISIONING_DIR
from dashboards.datasources import CITIZENS_ORG_NAME, STAFF, STAFF_ORG_ID
from telemetry.paths import PROJECT_ROOT
from telemetry.registry import AgentKind, load_registry
from tests.support.processes import Processes

COMPOSE = PROJECT_ROOT / "docker-compose.yml"
ENV_EXAMPLE = PROJECT_ROOT / "deploy" / ".env.example"
needs_compose = pytest.mark.skipif(
    shutil.which("docker-compose") is None, reason="Debian's docker-compose is not installed"
)


def _compose(env_file: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`docker-compose`: for the `resolved` fixture and tests that request `processes`."""
    return subprocess.run(
        ["docker-compose", "--env-file", str(env_file), "-f", str(COMPOSE), *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=PROJECT_ROOT,
        check=False,
    )


@pytest.fixture(scope="module")
def resolved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The compose file as docker-compose resolves it (demo profile included)."""
    if shutil.which("docker-compose") is None:
        pytest.skip("Debian's docker-compose is not installed")
    env = tmp_path_factory.mktemp("compose") / "test.env"
    env.write_text(ENV_EXAMPLE.read_text())
    done = _compose(env, "--profile", "demo", "config")
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)


@needs_compose
@pytest.mark.usefixtures("processes")  # docker-compose
def test_docker_compose_accepts_the_file(tmp_path: Path) -> None:
    env = tmp_path / "test.env"
    env.write_text(ENV_EXAMPLE.read_text())
    done = _compose(env, "config", "-q")
    assert done.returncode == 0, done.stderr


@needs_compose
@pytest.mark.usefixtures("processes")  # docker-compose
def test_docker_compose_refuses_to_run_without_secrets(tmp_path: Path) -> None:
    env = tmp_path / "test.env"
    env.write_text(
        "\n".join(
            line
            for line in ENV_EXAMPLE.read_text().splitlines()
            if not line.startswith("MQTT_COLLECTOR_PASSWORD=")
        )
    )
    done = _compose(env, "config", "-q")
    assert done.returncode != 0
    assert "MQTT_COLLECTOR_PASSWORD" in done.stderr


def test_env_file_is_not_committed(processes: Processes) -> None:
    ignored = processes.run(["git", "check-ignore", "-q", ".env"], cwd=PROJECT_ROOT)
    assert ignored.returncode == 0, ".env must be ignored by git"


def _volumes(service: dict[str, Any]) -> list[dict[str, str]]:
    """type/source/target of each volume, from the long or the short (1.29) syntax."""
    out = []
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            source, target = volume.split(":")[:2]
            kind = "bind" if source.startswith("/") else "volume"
            volume = {"type": kind, "source": source, "target": target}
        out.append(volume)
    return out


def _mounts(service: dict[str, Any]) -> dict[str, Path]:
    """container path -> host path of a service's bind mounts."""
    return {v["target"]: Path(v["source"]) for v in _volumes(service) if v["type"] == "bind"}


def test_grafana_mounts_the_generated_boards_and_provisioning(resolved: dict[str, Any]) -> None:
    mounts = _mounts(resolved["services"]["grafana"])
    assert mounts[CONTAINER_PROVISIONING] == PROVISIONING_DIR
    assert mounts[CONTAINER_DASHBOARDS] == PROVISIONING_DIR.parent / "generated"
    assert mounts["/etc/grafana/grafana.ini"].is_file()


def test_every_bind_mount_source_exists(resolved: dict[str, Any]) -> None:
    runtime = {PROJECT_ROOT / "var" / "certs"}  # made by broker-init on first start
    missing = [
        (name, str(src))
        for name, service in resolved["services"].items()
        for src in _mounts(service).values()
        if src not in runtime and not src.exists()
    ]
    assert missing == []


def test_dashboard_providers_point_at_directories_with_boards(resolved: dict[str, Any]) -> None:
    mounts = _mounts(resolved["services"]["grafana"])
    providers = yaml.safe_load((PROVISIONING_DIR / "dashboards" / "energy.yaml").read_text())
    assert providers["apiVersion"] == 1 and providers["providers"]
    for provider in providers["providers"]:
        container = Path(provider["options"]["path"])
        base = next(Path(c) for c in mounts if container.is_relative_to(c) and c != "/")
        host = mounts[str(base)] / container.relative_to(base)
        assert sorted(host.glob("*.json")), f"{provider['name']}: no boards at {host}"
        assert provider["orgId"] == STAFF_ORG_ID


def test_datasource_provisioning_is_the_staff_source() -> None:
    data = yaml.safe_load((PROVISIONING_DIR / "datasources" / "energy.yaml").read_text())
    assert data["apiVersion"] == 1
    [source] = data["datasources"]
    assert source["uid"] == STAFF.uid and source["orgId"] == STAFF_ORG_ID
    assert source["type"] == "influxdb" and source["jsonData"]["version"] == "InfluxQL"
    assert source["jsonData"]["dbName"] == "energy"
    # The token comes from the environment, never from the file.
    assert source["secureJsonData"]["httpHeaderValue1"] == f"Token ${{{STAFF.token_env}}}"


def test_grafana_ini_public_side() -> None:
    ini = configparser.ConfigParser(interpolation=None, comment_prefixes=(";", "#"))
    ini.read(PROJECT_ROOT / "deploy" / "grafana" / "grafana.ini", encoding="utf-8")
    assert ini.getboolean("auth.anonymous", "enabled")
    assert ini.get("auth.anonymous", "org_name") == CITIZENS_ORG_NAME
    assert ini.get("auth.anonymous", "org_role") == "Viewer"
    assert ini.getboolean("security", "allow_embedding")
    assert ini.getboolean("security", "cookie_secure")
    assert not ini.getboolean("snapshots", "external_enabled")
    assert not ini.getboolean("users", "allow_sign_up")


def test_demo_profile_runs_one_agent_per_agent_of_the_config(resolved: dict[str, Any]) -> None:
    registry = load_registry(PROJECT_ROOT / "config" / "sites" / "demo.yaml")
    agents = {
        service["environment"]["ENERGY_MQTT_USERNAME"]: service
        for name, service in resolved["services"].items()
        if name.startswith("agent-")
    }
    edge = {a for a, agent in registry.agents.items() if agent.kind is AgentKind.EDGE}
    assert set(agents) == edge  # importer agents run on demand (python -m importers)
    for agent_id, service in agents.items():
        assert agent_id in service["command"]


def test_services_get_least_rights_tokens(resolved: dict[str, Any]) -> None:
    services = resolved["services"]
    init = (PROJECT_ROOT / "deploy" / "influxdb" / "init.sh").read_text()
    for service, token in (
        ("collector", "collector"),
        ("rollup", "rollup"),
        ("api", "api"),
        ("grafana", "grafana"),
        ("grafana-init", "citizens"),
    ):
        command = " ".join(services[service].get("command") or services[service]["entrypoint"])
        assert f"/tokens/{token}.token" in command, service
    # Ingest only: raw readings, imported history and the readings handed to the rollup
    # (each its own bucket), nothing read.
    collector = (
        'make_token collector --write-bucket "$raw_id" --write-bucket "$imported_id" \\\n'
        '    --write-bucket "$handed_id"\n'
    )
    assert collector in init
    rollup = init.split("make_token rollup ", 1)[1].split("make_token api ", 1)[0]
    assert '--read-bucket "$handed_id"' in rollup  # the rollup reads what it is handed
    assert 'make_token citizens --read-bucket "$public_id"\n' in init


def test_broker_uses_the_deployed_config_and_generated_auth(resolved: dict[str, Any]) -> None:
    mosquitto = resolved["services"]["mosquitto"]
    mounts = _mounts(mosquitto)
    conf = mounts["/mosquitto/config/mosquitto.conf"]
    assert conf == PROJECT_ROOT / "deploy" / "mosquitto" / "mosquitto.conf"
    text = conf.read_text()
    for line in (
        "allow_anonymous false",
        "persistence true",
        "password_file /mosquitto/auth/passwd",
        "acl_file /mosquitto/auth/acl",
    ):
        assert f"\n{line}\n" in text
    auth = {v["target"]: v for v in _volumes(mosquitto) if v["type"] == "volume"}
    assert auth["/mosquitto/auth"]["source"] == "mqtt-auth"
    init = {v["target"]: v["source"] for v in _volumes(resolved["services"]["broker-init"])}
    assert init["/mosquitto/auth"] == "mqtt-auth"
