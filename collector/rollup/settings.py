"""Settings of the rollup process: the shared ones plus its own knobs."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field, model_validator

from telemetry.config.settings import Settings
from telemetry.disclosure import DisclosureConfig
from telemetry.influx_schema import DEFAULT_PRIVACY_K
from telemetry.retention import reach_problem


class RollupSettings(Settings):
    """Flags > environment > config/settings.yaml (`rollup:` section) > defaults.

    The environment names are those of every setting: ENERGY_ and the field in
    capitals (ENERGY_INTERVAL_S, ENERGY_LOOKBACK_S, ENERGY_PRIVACY_K, ...).
    """

    yaml_section: ClassVar[str | None] = "rollup"

    interval_s: float = Field(
        default=60.0, gt=0, le=86400, description="seconds between pass starts (cadence.py)"
    )
    lookback_s: float = Field(
        default=2 * 3600.0,
        ge=60,
        le=31 * 86400,
        description="how far back each pass recomputes consumption (late data)",
    )
    live_lookback_s: float = Field(
        default=600.0,
        ge=60,
        le=31 * 86400,
        description="how far back each pass recomputes live minutes (at most the lookback)",
    )
    privacy_k: int = Field(default=DEFAULT_PRIVACY_K, ge=1, le=10_000)
    disclosure: DisclosureConfig = Field(
        default_factory=DisclosureConfig,
        description="disclosure rules besides k: dominance, group disclosure, protection",
    )
    max_catchup_s: float = Field(
        default=7 * 86400.0,
        ge=3600,
        description="after downtime, catch up at most this far behind the watermark",
    )
    live_catchup_s: float | None = Field(
        default=None,
        ge=60,
        description="late readings get their live minutes when at most this old (default: "
        "max_catchup_s, so an agent's outbox replayed after an outage fills its minutes); "
        "a demo publishing weeks of past readings sets it short, the live figure being now's",
    )
    bridge_s: float = Field(
        default=86400.0,
        ge=60,
        description="how far before a window to look for a meter's previous counter reading",
    )
    chunk_s: float = Field(default=6 * 3600.0, ge=3600, description="catch-up step size")
    partitions: dict[str, list[str]] = Field(
        default_factory=dict,
        description="rollup workers' partitions: name → district codes (default: the "
        "districts split into `rollup_workers` partitions balanced by sites); "
        "`--partition NAME` runs a worker, `--merge` the merge",
    )
    rollup_workers: int = Field(
        default=1,
        ge=1,
        le=1000,
        description="workers expected (`--worker`): each takes "
        "its share of the partitions, ceil(partitions / workers), and any whose lease expired",
    )
    lease_ttl_s: float = Field(
        default=300.0,
        ge=10,
        le=86400,
        description="a worker's partition lease lasts this "
        "long unrenewed: a dead worker's partitions are taken over within it",
    )
    state_path: Path | None = Field(
        default=None,
        description="where the rollup keeps its meter states, so that a restart resumes "
        "its sites instead of recomputing them (snapshot.py); a worker's get its "
        "partition's name; unset: states in memory only",
    )
    state_every_s: float = Field(
        default=300.0,
        ge=0,
        le=86400,
        description="seconds between saves of the meter states (also saved at shutdown; "
        "0: at shutdown only). A save is written by a forked child that holds up to the "
        "states' memory again while it writes (~2 GB and ~14 s at a million meters)",
    )
    arrival_slack_s: float = Field(
        default=120.0,
        ge=0,
        le=86400,
        description="how long after its timestamp an arrival marker may still become "
        "visible (a slow write, clock skew between collector and rollup hosts)",
    )

    @model_validator(mode="after")
    def _raw_outlives_reach(self) -> RollupSettings:
        # A pass reads raw readings back to its window less the bridge; those
        # must still be there, or the recompute overwrites good rollups.
        problem = reach_problem(
            self.raw_retention_days,
            {
                "max_catchup_s + bridge_s": self.max_catchup_s + self.bridge_s,
                "lookback_s + bridge_s": self.lookback_s + self.bridge_s,
            },
        )
        if problem:
            raise ValueError(problem)
        return self
