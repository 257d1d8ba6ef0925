"""The agent's settings: the shared ones (telemetry.config.settings) plus its own knobs.

Same precedence as everywhere: flag > environment (ENERGY_*) > config/settings.yaml
(its `edge_agent:` section) > default.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field

from telemetry.config.settings import Settings


class AgentSettings(Settings):
    yaml_section: ClassVar[str | None] = "edge_agent"

    status_interval_s: float = Field(default=30.0, gt=0, description="retained status refresh")
    replay_rate: float = Field(default=20.0, gt=0, description="batches/s when draining a backlog")
    outbox_budget_mb: float = Field(default=64.0, gt=0, description="outbox size before dropping")
    cycle_s: float | None = Field(
        default=None, gt=0, description="batch cycle; default: the shortest poll interval"
    )
    max_registers: int | None = Field(
        default=None, ge=1, le=125, description="per-device register cap below the profile's"
    )
    retries: int = Field(default=1, ge=0, le=10, description="extra attempts per request")
    backoff_max_s: float = Field(default=60.0, gt=0, description="longest pause of a failing meter")
    mqtt_reconnect_max_s: float = Field(
        default=30.0, ge=1, description="broker reconnect backoff cap"
    )

    def outbox_path(self, agent: str) -> Path:
        return self.outbox or Path("var") / f"outbox-{agent}.sqlite"
