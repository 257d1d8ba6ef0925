"""Collector settings: the shared flags plus what only the collector needs.

Every field has an ENERGY_* environment fallback (e.g. ENERGY_BATCH_SIZE),
inherited from `telemetry.config.settings.Settings`, and may sit in the `collector:`
section of config/settings.yaml; flags override both. Durations end in `_s`.
"""

from __future__ import annotations

import re
import socket
from typing import ClassVar

from pydantic import Field, model_validator

from telemetry.config.settings import Settings
from telemetry.ids import is_valid_id
from telemetry.retention import DAY_S, reach_problem

# A day: longer than any outage a supervisor leaves a collector down for, so a
# crashed instance always finds its session (and the messages Mosquitto queued
# for it) when it comes back. See collector/README.md "Session expiry".
DEFAULT_SESSION_EXPIRY_S = 86_400
# MQTT v5 caps Receive Maximum at 65535.
MAX_RECEIVE_MAXIMUM = 65_535


def default_instance() -> str:
    """A stable instance id from the host name, squeezed into the id rule."""
    name = re.sub(r"[^a-z0-9._-]+", "-", socket.gethostname().lower()).strip("-._")
    name = name[:48] or "local"
    return name if is_valid_id(name) else "local"


class CollectorSettings(Settings):
    yaml_section: ClassVar[str | None] = "collector"

    batch_size: int = Field(default=5_000, ge=1, description="readings per InfluxDB write")
    flush_interval_s: float = Field(default=1.0, gt=0, description="max seconds a reading waits")
    instance: str = Field(default_factory=default_instance, pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")
    session_expiry_s: int = Field(default=DEFAULT_SESSION_EXPIRY_S, ge=0, le=2**32 - 1)
    max_payload_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    health_port: int = Field(default=0, ge=0, le=65535)
    max_future_s: float = Field(default=300.0, ge=0, description="clock skew tolerated")
    max_age_s: float = Field(default=90 * 86_400.0, gt=0, description="oldest reading accepted")
    stats_interval_s: float = Field(default=10.0, gt=0, description="seconds between stats")
    leave_on_exit: bool = False
    shutdown_grace_s: float = Field(default=20.0, ge=0, description="drain time on SIGTERM")

    @model_validator(mode="after")
    def _raw_outlives_max_age(self) -> CollectorSettings:
        # A late reading makes the rollup recompute its meter from the hour of
        # that reading, reading a day (its bridge) before: both must be kept.
        problem = reach_problem(
            self.raw_retention_days, {"max_age_s + a day": self.max_age_s + DAY_S}
        )
        if problem:
            raise ValueError(problem)
        return self

    @property
    def client_id(self) -> str:
        return f"collector-{self.instance}"

    @property
    def receive_maximum(self) -> int:
        """At least a batch of one-reading messages may be unacknowledged at once."""
        return min(MAX_RECEIVE_MAXIMUM, max(self.batch_size, 100))
