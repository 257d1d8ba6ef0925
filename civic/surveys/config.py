"""The surveys' configuration (`surveys:` of config/api.yaml)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from telemetry.config.strict import StrictModel


class SurveysConfig(StrictModel):
    """Citizens' policy surveys: where templates live, how often a round comes."""

    templates: Path = Path("config/surveys")
    interval_months: int = Field(default=5, ge=1, le=60)
    # The next round is drafted this many days before it would open, for staff review.
    review_lead_days: int = Field(default=14, ge=0, le=365)
