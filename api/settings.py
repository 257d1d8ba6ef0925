"""API settings: the shared flags, secrets from the environment, the rest from config/api.yaml.

config/api.yaml is read like every config file (telemetry.config.yaml_model):
an unknown or misspelt key is an error with its line.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator

from civic.board.config import BoardConfig
from civic.surveys.config import SurveysConfig
from civic.surveys.sealing import LEGACY_ID, SEAL_ID, SIGNING_PREFIX, SurveyKeys
from insights.degree_days import DegreeDayBases
from stores.open_data.catalog import Publisher
from telemetry.config.settings import Settings
from telemetry.config.strict import StrictModel
from telemetry.config.yaml_model import Removed, load_model
from telemetry.db.weather import GWANGJU_ASOS
from telemetry.disclosure import DisclosureConfig
from telemetry.influx_schema import DEFAULT_PRIVACY_K
from telemetry.paths import resolve_config_path

API_CONFIG_VERSION = 2
# Version 2 moved households' programme dates into the registry.
REMOVED = {
    ("households",): Removed(
        2, "households and their enrolments in the registry (`households:` of the sites file)"
    )
}
DEFAULT_API_CONFIG = Path("config/api.yaml")


class CacheConfig(StrictModel):
    live_s: int = Field(default=15, ge=0)
    series_s: int = Field(default=300, ge=0)
    reference_s: int = Field(default=3600, ge=0)


class Licence(StrictModel):
    name: str = "Korea Open Government License Type 1 (attribution)"
    url: str = "https://www.kogl.or.kr/info/licenseType1.do"
    attribution: str = "Gwangju Metropolitan City energy information platform"


class GrafanaConfig(StrictModel):
    """The citizens' Grafana, linked from the portal's pages when set (never required)."""

    citizens_url: str | None = None

    @field_validator("citizens_url")
    @classmethod
    def _plain_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        url = urlsplit(value)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"{value!r}: not an http(s) URL with a host")
        if url.query or url.fragment or url.username or url.password:
            raise ValueError(f"{value!r}: a plain URL, without query, fragment or credentials")
        return value.rstrip("/")


class HouseholdLinksConfig(StrictModel):
    """Household links (api/links.py): how long a newly signed link opens its household."""

    lifetime_days: int = Field(default=365, ge=1, le=3650)


class WeatherConfig(StrictModel):
    """Degree-days of households' savings: whose observations (the KMA ASOS station imported
    with `python -m importers weather-asos`) and which base temperatures."""

    station: int = Field(default=GWANGJU_ASOS, ge=1)
    degree_days: DegreeDayBases = Field(default_factory=DegreeDayBases)


class ApiConfig(StrictModel):
    """config/api.yaml: nothing secret."""

    privacy_k: int = Field(default=DEFAULT_PRIVACY_K, ge=1)
    cors_origins: list[str] = Field(default_factory=list)
    cache: CacheConfig = Field(default_factory=CacheConfig)
    stream_interval_s: float = Field(default=5.0, gt=0, le=3600)
    licence: Licence = Field(default_factory=Licence)
    # Who publishes the open data (the catalogue and the 공공데이터포털 sheet).
    open_data: Publisher = Field(default_factory=Publisher)
    # Origins whose pages may frame the portal's /embed/ widgets (CSP frame-ancestors).
    embed_frame_ancestors: list[str] = Field(default_factory=list)
    # Strict-Transport-Security on every response of an HTTPS deployment
    # (board.secure_cookies on); api/transport.py.
    hsts: bool = True
    board: BoardConfig = Field(default_factory=BoardConfig)
    surveys: SurveysConfig = Field(default_factory=SurveysConfig)
    grafana: GrafanaConfig = Field(default_factory=GrafanaConfig)
    # The disclosure rules besides k (telemetry/disclosure): survey results here; the
    # rollups read the same keys from the `rollup: disclosure:` section of settings.yaml.
    disclosure: DisclosureConfig = Field(default_factory=DisclosureConfig)
    household_links: HouseholdLinksConfig = Field(default_factory=HouseholdLinksConfig)
    weather: WeatherConfig = Field(default_factory=WeatherConfig)


DEFAULT_KEY_ID = "default"
MIN_KEY_CHARS = 16


def parse_signing_keys(listed: str, single: str) -> list[tuple[str, str]]:
    """ENERGY_API_SIGNING_KEYS ("id:key,id:key", newest first) or ENERGY_API_SIGNING_KEY."""
    if listed and single:
        raise ValueError(
            "set ENERGY_API_SIGNING_KEYS or ENERGY_API_SIGNING_KEY, not both "
            f"(the single key is ENERGY_API_SIGNING_KEYS={DEFAULT_KEY_ID}:<key>)"
        )
    if not listed:
        return [(DEFAULT_KEY_ID, single)] if single else []
    keys: list[tuple[str, str]] = []
    for n, item in enumerate(listed.split(","), start=1):
        kid, sep, key = item.strip().partition(":")
        if not sep or not kid.isalnum() or not kid.isascii() or len(kid) > 16:
            raise ValueError(
                f"ENERGY_API_SIGNING_KEYS item {n}: expected <id>:<key>, an id of 1-16 letters "
                "or digits"
            )
        if len(key) < MIN_KEY_CHARS:
            raise ValueError(f"ENERGY_API_SIGNING_KEYS key {kid!r}: at least 16 characters")
        if kid in dict(keys):
            raise ValueError(f"ENERGY_API_SIGNING_KEYS: key id {kid!r} listed twice")
        keys.append((kid, key))
    return keys


class ApiSettings(Settings):
    """Shared settings plus the API's secrets (environment only) and its config file."""

    yaml_section: ClassVar[str | None] = "api"

    api_config: Path = Field(default=DEFAULT_API_CONFIG)
    api_admin_token: SecretStr | None = None
    api_site_tokens: SecretStr | None = None  # "site=token,site=token"
    api_signing_key: SecretStr | None = None  # one key, its id implied ("default")
    # Rotation: "k2:secret,k1:secret", newest first; the newest signs, all verify.
    api_signing_keys: SecretStr | None = None
    # Seals survey responses until their round closes (civic/surveys/sealing.py);
    # unset: derived from the signing key under its own label.
    survey_seal_key: SecretStr | None = None
    api_cors_origins: str | None = None  # comma list; overrides the config file
    influx_public_token: SecretStr | None = None
    # Writes acknowledgements to alert_events in the private bucket (else the read token).
    influx_events_token: SecretStr | None = None

    def signing_keys(self) -> list[tuple[str, str]]:
        """(id, key) of every signing key, newest first (ENERGY_API_SIGNING_KEYS, or
        ENERGY_API_SIGNING_KEY as the one key "default"); [] when none is set; ValueError
        naming the variable on a mistake."""
        return parse_signing_keys(self.secret("api_signing_keys"), self.secret("api_signing_key"))

    def signing_key(self) -> str:
        """The key that signs now (the newest); "" when none is set."""
        keys = self.signing_keys()
        return keys[0][1] if keys else ""

    def survey_seal_key_bytes(self) -> bytes:
        """The survey key of rounds opened before keys were recorded (`legacy`):
        ENERGY_SURVEY_SEAL_KEY, else the oldest signing key (the last listed)."""
        keys = self.signing_keys()
        return (self.secret("survey_seal_key") or (keys[-1][1] if keys else "")).encode()

    def survey_keys(self) -> SurveyKeys:
        """Every survey secret by the id a round records as it opens: ENERGY_SURVEY_SEAL_KEY
        (`seal`, which new rounds open under when set), each signing key (`signing:<id>`, the
        newest for new rounds otherwise) and the `legacy` derivation."""
        signing = self.signing_keys()
        secrets = {f"{SIGNING_PREFIX}{kid}": key.encode() for kid, key in signing}
        if legacy := self.survey_seal_key_bytes():
            secrets[LEGACY_ID] = legacy
        current = f"{SIGNING_PREFIX}{signing[0][0]}" if signing else SEAL_ID
        if seal := self.secret("survey_seal_key"):
            secrets[SEAL_ID], current = seal.encode(), SEAL_ID
        return SurveyKeys(secrets, current)

    def load_api_config(self) -> ApiConfig:
        """config/api.yaml, strictly; ConfigError (file:line: field: message) on a mistake."""
        path = resolve_config_path(self.api_config)
        explicit = self.api_config != DEFAULT_API_CONFIG
        if path.is_file() or explicit:  # a file named on purpose must exist
            config = load_model(path, ApiConfig, version=API_CONFIG_VERSION, removed=REMOVED)
        else:
            config = ApiConfig()
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
