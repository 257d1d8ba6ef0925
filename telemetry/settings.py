"""The settings every component shares (DESIGN.md flag table), read alike everywhere.

Precedence: command-line flag > environment (ENERGY_*) > config/settings.yaml >
built-in default. Secrets (the InfluxDB token, MQTT passwords) come from flags
or the environment only; config/settings.yaml may not hold them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from telemetry.mqtt_url import MqttTarget, parse_mqtt_url
from telemetry.paths import config_dir

SECRET_KEYS = ("influx_token", "mqtt_password")


class SecretInConfigError(ValueError):
    pass


class _YamlDefaults(PydanticBaseSettingsSource):
    """config/settings.yaml, refusing secrets."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path) -> None:
        super().__init__(settings_cls)
        self.path = path

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ returns everything at once

    def __call__(self) -> dict[str, Any]:
        if not self.path.is_file():
            return {}
        data = yaml.safe_load(self.path.read_text(encoding="utf-8")) or {}
        for key in SECRET_KEYS:
            if key in data:
                raise SecretInConfigError(
                    f"{self.path}: {key}: secrets come from the environment "
                    f"(ENERGY_{key.upper()}), never from a config file"
                )
        if "@" in str(data.get("mqtt_url", "")) and parse_mqtt_url(data["mqtt_url"]).password:
            raise SecretInConfigError(
                f"{self.path}: mqtt_url: holds a password; set ENERGY_MQTT_PASSWORD instead"
            )
        return {k: v for k, v in data.items() if k in self.settings_cls.model_fields}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ENERGY_", extra="ignore")

    config: Path = Field(default=Path("config/sites/demo.yaml"), description="the sites file")
    mqtt_url: str = "mqtt://127.0.0.1:1883"
    mqtt_username: str | None = None
    mqtt_password: SecretStr | None = None
    mqtt_ca: Path | None = Field(default=None, description="CA certificate for mqtts://")
    mqtt_cert: Path | None = Field(default=None, description="client certificate (mutual TLS)")
    mqtt_key: Path | None = Field(default=None, description="client key (mutual TLS)")
    influx_url: str = "http://127.0.0.1:8086"
    influx_token: SecretStr | None = None
    influx_org: str = "gwangju"
    influx_bucket: str = "energy"
    influx_public_bucket: str = "energy_public"
    agent: str | None = None
    outbox: Path | None = None
    metrics_port: int = Field(default=0, ge=0, le=65535)
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    db_url: str | None = Field(default=None, description="platform database (telemetry.db)")

    @field_validator("mqtt_url")
    @classmethod
    def _mqtt_url_parses(cls, url: str) -> str:
        parse_mqtt_url(url)
        return url

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            _YamlDefaults(settings_cls, config_dir() / "settings.yaml"),
        )

    @classmethod
    def from_cli(cls, **flags: Any) -> Settings:
        """Build from command-line flags; a flag left unset (None) falls back."""
        return cls(**{k: v for k, v in flags.items() if v is not None})

    def mqtt_target(self) -> MqttTarget:
        """The broker, with ENERGY_MQTT_USERNAME/PASSWORD overriding the URL's."""
        target = parse_mqtt_url(self.mqtt_url)
        password = self.mqtt_password.get_secret_value() if self.mqtt_password else None
        return MqttTarget(
            host=target.host,
            port=target.port,
            username=self.mqtt_username or target.username,
            password=password or target.password,
            tls=target.tls,
        )

    def influx_token_value(self) -> str:
        return self.influx_token.get_secret_value() if self.influx_token else ""
