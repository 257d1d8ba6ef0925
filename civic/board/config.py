"""The board's rules as configured (`board:` of config/api.yaml)."""

from __future__ import annotations

from pydantic import Field

from telemetry.config.strict import StrictModel


class BoardConfig(StrictModel):
    """The residents' board (civic/board): when the city owes an answer, when reports hide,
    how long a resident's session and a participation code last."""

    support_threshold: int = Field(default=20, ge=1)
    answer_days: int = Field(default=30, ge=1)
    auto_hide_reports: int = Field(default=3, ge=1)
    secure_cookies: bool = True  # false only for a local run over plain HTTP
    # A resident's session ends after this long unused, and this long after sign-in
    # whatever the use (civic/board/sessions.py).
    session_idle_days: int = Field(default=7, ge=1, le=90)
    session_max_days: int = Field(default=30, ge=1, le=365)
    # A participation code opens nothing this long after it was issued (civic/board/codes.py).
    code_lifetime_days: int = Field(default=90, ge=1, le=3650)
