"""Environments for child processes, free of the caller's overrides."""

from __future__ import annotations

import os
from collections.abc import Mapping

# The components read ENERGY_* variables over their flags and config files; a
# value left in the developer's shell would silently change what a test or the
# demo runs against.
COMPONENT_PREFIX = "ENERGY_"


def clean_env(drop_prefix: str) -> dict[str, str]:
    """The current environment without variables that start with drop_prefix."""
    return {k: v for k, v in os.environ.items() if not k.startswith(drop_prefix)}


def component_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a component process: no ENERGY_* from the caller, then extra."""
    env = clean_env(COMPONENT_PREFIX)
    env.update(extra or {})
    return env
