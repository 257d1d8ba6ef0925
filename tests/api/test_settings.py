"""API settings from the environment and config/api.yaml; household token signatures."""

from __future__ import annotations

import pytest

from api.settings import ApiSettings


def test_secrets_and_cors_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENERGY_API_SITE_TOKENS", "hanam-ic=t1, munheung-apt=t2,broken")
    monkeypatch.setenv("ENERGY_API_ADMIN_TOKEN", "s3cr3t-op")
    monkeypatch.setenv("ENERGY_API_CORS_ORIGINS", "https://a.example, https://b.example")
    settings = ApiSettings()
    assert settings.site_tokens() == {"hanam-ic": "t1", "munheung-apt": "t2"}
    assert settings.secret("api_admin_token") == "s3cr3t-op"
    assert "s3cr3t-op" not in repr(settings)  # secrets never printed
    config = settings.load_api_config()
    assert config.cors_origins == ["https://a.example", "https://b.example"]
    assert config.privacy_k == 5 and config.licence.url.startswith("https://")


def test_the_config_file_is_read_without_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ENERGY_API_CORS_ORIGINS", raising=False)
    config = ApiSettings().load_api_config()
    assert "https://www.gwangju.go.kr" in config.cors_origins
    assert config.cache.live_s == 15
