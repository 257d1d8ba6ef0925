"""Settings of `python -m alerts`: the shared ones plus the rules file, database and pace.

Environment: ENERGY_ALERTS_RULES, ENERGY_DB_URL (shared with every user of
the platform database), ENERGY_ALERTS_INTERVAL_S, ENERGY_ALERTS_DELIVERY_POLL_S.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field

from telemetry.config.settings import Settings
from telemetry.db.engine import DEFAULT_DB_URL


class AlertsSettings(Settings):
    # The section of config/settings.yaml for these knobs (strict settings files).
    yaml_section: ClassVar[str | None] = "alerts"

    alerts_rules: Path = Field(default=Path("config/alerts.yaml"), description="the rules file")
    db_url: str = Field(default=DEFAULT_DB_URL, description="the platform database")
    alerts_interval_s: float = Field(default=30.0, gt=0, le=3600, description="between passes")
    alerts_delivery_poll_s: float = Field(
        default=1.0, gt=0, le=60, description="how often the outbox is looked at"
    )
