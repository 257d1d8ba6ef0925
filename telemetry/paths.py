"""Where the project's configuration lives."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def config_dir() -> Path:
    """`config/` of the project; ENERGY_CONFIG_DIR points elsewhere (e.g. in a container)."""
    return Path(os.environ.get("ENERGY_CONFIG_DIR") or PROJECT_ROOT / "config")


def resolve_config_path(path: Path | str) -> Path:
    """A relative path is taken from the working directory, else from the project root."""
    path = Path(path)
    if path.is_absolute() or path.exists():
        return path
    candidate = PROJECT_ROOT / path
    return candidate if candidate.exists() else path
