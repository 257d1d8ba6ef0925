"""Flags beat the environment, which beats config/settings.yaml; secrets never from files."""

from __future__ import annotations

from pathlib import Path

import pytest

from telemetry.config.settings import SecretInConfigError, Settings
from telemetry.mqtt_url import parse_mqtt_url


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ENERGY_CONFIG_DIR", str(tmp_path))
    for name in ("ENERGY_MQTT_URL", "ENERGY_INFLUX_BUCKET", "ENERGY_INFLUX_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_precedence_flag_env_yaml_default(
    config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (config_dir / "settings.yaml").write_text("influx_bucket: from_yaml\ninflux_org: yaml_org\n")
    assert Settings.from_cli().influx_bucket == "from_yaml"
    assert Settings.from_cli().influx_public_bucket == "energy_public"
    monkeypatch.setenv("ENERGY_INFLUX_BUCKET", "from_env")
    assert Settings.from_cli().influx_bucket == "from_env"
    assert Settings.from_cli(influx_bucket="from_flag").influx_bucket == "from_flag"
    assert Settings.from_cli(influx_bucket=None).influx_bucket == "from_env"
    assert Settings.from_cli().influx_org == "yaml_org"


def test_token_in_config_file_is_refused(config_dir: Path) -> None:
    (config_dir / "settings.yaml").write_text("influx_token: abc\n")
    with pytest.raises(SecretInConfigError, match="ENERGY_INFLUX_TOKEN"):
        Settings.from_cli()


def test_password_in_config_mqtt_url_is_refused(config_dir: Path) -> None:
    (config_dir / "settings.yaml").write_text("mqtt_url: mqtt://agent:secret@broker:1883\n")
    with pytest.raises(SecretInConfigError, match="ENERGY_MQTT_PASSWORD"):
        Settings.from_cli()


def test_mqtt_credentials_from_env_override_url(
    config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENERGY_MQTT_URL", "mqtts://u:p@broker.example:8884")
    monkeypatch.setenv("ENERGY_MQTT_PASSWORD", "from-env")
    target = Settings.from_cli().mqtt_target()
    assert (target.host, target.port, target.username, target.password, target.tls) == (
        "broker.example",
        8884,
        "u",
        "from-env",
        True,
    )
    assert "from-env" not in target.redacted()


@pytest.mark.parametrize(
    ("url", "says"),
    [("http://x", "scheme"), ("mqtt://", "no host"), ("mqtt://h:99999", "port")],
)
def test_bad_mqtt_urls(url: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_mqtt_url(url)


def test_default_ports() -> None:
    assert parse_mqtt_url("mqtt://h").port == 1883
    assert parse_mqtt_url("mqtts://h").port == 8883
