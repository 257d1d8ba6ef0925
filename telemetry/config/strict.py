"""The one base of every config-file model: an unknown key is an error, not a no-op.

A misspelt key in a YAML file must stop the component with its line, never be
ignored (docs/DECISIONS.md: every config file is strict). Models loaded once and
shared by every reader (sites, profiles, households, alert rules, survey
templates) take the frozen variant, so no reader can change what another sees.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """A config model refusing unknown keys."""

    model_config = ConfigDict(extra="forbid")


class FrozenStrictModel(StrictModel):
    """A config model refusing unknown keys and, once built, any change (hashable)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
