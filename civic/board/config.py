"""The board's rules as configured (`board:` of config/api.yaml)."""

from __future__ import annotations

from pydantic import Field

from telemetry.config.strict import StrictModel


class BoardConfig(StrictModel):
    """The residents' board (civic/board): when the city owes an answer, when reports hide."""

    support_threshold: int = Field(default=20, ge=1)
    answer_days: int = Field(default=30, ge=1)
    auto_hide_reports: int = Field(default=3, ge=1)
    secure_cookies: bool = True  # false only for a local run over plain HTTP
