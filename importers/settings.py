"""The importers' settings: the shared ones (telemetry.config.settings) plus their own.

Same precedence as everywhere: flag > environment (ENERGY_*) >
config/settings.yaml > default.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from telemetry.config.settings import Settings
from telemetry.db.weather import GWANGJU_ASOS


class ImporterSettings(Settings):
    max_file_bytes: int = Field(
        default=64 * 1024 * 1024, ge=1024, description="larger files are refused unread"
    )
    state_dir: Path = Field(
        default=Path("var/importers"), description="per-agent batch sequence numbers"
    )
    publish_timeout_s: float = Field(default=30.0, gt=0, description="wait for each PUBACK")
    receipt_timeout_s: float = Field(
        default=60.0, gt=0, description="wait for the collector's receipt of each batch"
    )
    weather_station: int = Field(
        default=GWANGJU_ASOS, ge=1, description="weather-asos: the KMA station imported (156: 광주)"
    )
    batch_readings: int = Field(default=2_000, ge=1, le=5_000, description="readings per batch")
