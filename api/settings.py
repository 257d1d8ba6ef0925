"""API settings: the shared flags, secrets from the environment, the rest from config/api.yaml."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, SecretStr

from telemetry.influx_schema import DEFAULT_PRIVACY_K
from telemetry.paths import config_dir
from telemetry.settings import Settings


class CacheConfig(BaseModel):
    live_s: int = Field(default=15, ge=0)
    series_s: int = Field(default=300, ge=0)
    reference_s: int = Field(default=3600, ge=0)


class Licence(BaseModel):
    name: str = "Korea Open Government License Type 1 (attribution)"
    url: str = "https://www.kogl.or.kr/info/licenseType1.do"
    attribution: str = "Gwangju Metropolitan City energy information platform"


class HouseholdConfig(BaseModel):
    programme_start: dt.date | None = None


class BoardConfig(BaseModel):
    """The residents' board (api/civic): when the city owes an answer, when reports hide."""

    support_threshold: int = Field(default=20, ge=1)
    answer_days: int = Field(default=30, ge=1)
    auto_hide_reports: int = Field(default=3, ge=1)
    secure_cookies: bool = True  # false only for a local run over plain HTTP


class ApiConfig(BaseModel):
    """config/api.yaml: nothing secret."""

    privacy_k: int = Field(default=DEFAULT_PRIVACY_K, ge=1)
    cors_origins: list[str] = Field(default_factory=list)
    cache: CacheConfig = Field(default_factory=CacheConfig)
    stream_interval_s: float = Field(default=5.0, gt=0, le=3600)
    licence: Licence = Field(default_factory=Licence)
    households: dict[str, HouseholdConfig] = Field(default_factory=dict)
    board: BoardConfig = Field(default_factory=BoardConfig)


class ApiSettings(Settings):
    """Shared settings plus the API's secrets (environment only) and its config file."""

    api_config: Path = Field(default=Path("config/api.yaml"))
    api_admin_token: SecretStr | None = None
    api_site_tokens: SecretStr | None = None  # "site=token,site=token"
    api_signing_key: SecretStr | None = None
    api_cors_origins: str | None = None  # comma list; overrides the config file
    influx_public_token: SecretStr | None = None

    def load_api_config(self) -> ApiConfig:
        path = self.api_config
        if not path.is_absolute() and not path.exists():
            path = config_dir() / path.name
        data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}
        config = ApiConfig.model_validate(data or {})
        if self.api_cors_origins is not None:
            config.cors_origins = [o.strip() for o in self.api_cors_origins.split(",") if o.strip()]
        return config

    def site_tokens(self) -> dict[str, str]:
        """ENERGY_API_SITE_TOKENS parsed: site -> token."""
        raw = self.api_site_tokens.get_secret_value() if self.api_site_tokens else ""
        out: dict[str, str] = {}
        for item in raw.split(","):
            site, sep, token = item.strip().partition("=")
            if sep and site and token:
                out[site.strip()] = token.strip()
        return out

    def secret(self, name: str) -> str:
        value = getattr(self, name)
        return value.get_secret_value() if value else ""
