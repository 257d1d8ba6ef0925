"""The settings every component shares (DESIGN.md flag table), read alike everywhere.

Precedence: command-line flag > environment (ENERGY_*) > config/settings.yaml >
built-in default. Secrets (the InfluxDB token, MQTT passwords, API tokens) come
from flags or the environment only; config/settings.yaml may not hold them, and
an unknown key in it is an error with its line (telemetry/config/settings_file.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from telemetry.config.settings_file import SecretInConfigError, read_settings_file
from telemetry.influx_schema import imported_bucket, rollup_bucket
from telemetry.mqtt_url import MqttTarget, parse_mqtt_url
from telemetry.paths import config_dir
from telemetry.retention import policy_problem

__all__ = ["SecretInConfigError", "Settings"]


class _YamlDefaults(PydanticBaseSettingsSource):
    """config/settings.yaml: the shared keys and the component's section, strictly."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ returns everything at once

    def __call__(self) -> dict[str, Any]:
        path = config_dir() / "settings.yaml"
        if not path.is_file():
            return {}
        section = getattr(self.settings_cls, "yaml_section", None)
        return read_settings_file(path, self.settings_cls, Settings, section)


class Settings(BaseSettings):
    # extra="forbid": a flag passed under a name no field has is a bug, not a no-op.
    model_config = SettingsConfigDict(env_prefix="ENERGY_", extra="forbid")
    # The section of config/settings.yaml holding this component's own knobs.
    yaml_section: ClassVar[str | None] = None

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
    influx_rollup_bucket: str | None = Field(
        default=None,
        description="private rollups' bucket (default <influx_bucket>/rollups: the raw "
        "database's retention policy `rollups`)",
    )
    influx_imported_bucket: str | None = Field(
        default=None,
        description="imported history's bucket (default <influx_bucket>/imported: the raw "
        "database's retention policy `imported`, kept as long as the rollups)",
    )
    # Retention (telemetry/retention.py); 0 = forever. Applied on 1.x by
    # `python -m collector init`; on 2.x they are the buckets' retentions.
    raw_retention_days: int = Field(
        default=400, ge=0, le=100_000, description="how long raw readings are kept (0: forever)"
    )
    rollup_retention_days: int = Field(
        default=0, ge=0, le=100_000, description="how long private rollups are kept (0: forever)"
    )
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

    @model_validator(mode="after")
    def _rollups_outlive_raw(self) -> Settings:
        problem = policy_problem(self.raw_retention_days, self.rollup_retention_days)
        if problem:
            raise ValueError(problem)
        return self

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
            _YamlDefaults(settings_cls),
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

    def rollup_bucket(self) -> str:
        """Where the private rollups are written (telemetry.influx_schema.rollup_bucket)."""
        return self.influx_rollup_bucket or rollup_bucket(self.influx_bucket)

    def imported_bucket(self) -> str:
        """Where imported history is written (telemetry.influx_schema.imported_bucket)."""
        return self.influx_imported_bucket or imported_bucket(self.influx_bucket)

    def influx_token_value(self) -> str:
        return self.influx_token.get_secret_value() if self.influx_token else ""
