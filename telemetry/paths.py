"""Where the project's configuration lives, and how a config path is found: one rule."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def config_dir() -> Path:
    """`config/` of the project; ENERGY_CONFIG_DIR points elsewhere (e.g. in a container)."""
    return Path(os.environ.get("ENERGY_CONFIG_DIR") or PROJECT_ROOT / "config")


def resolve_config_path(path: Path | str) -> Path:
    """Find a config file named on the command line, in the environment or as a default.

    Absolute: as given. Relative: from the working directory when it is there;
    else `config/...` is taken inside `config_dir()` (so ENERGY_CONFIG_DIR moves
    the defaults too), and any other relative path from the project root. A
    path found nowhere is returned as given, for the caller's "file not found".
    """
    path = Path(path)
    if path.is_absolute() or path.exists():
        return path
    parts = path.parts
    candidate = (
        config_dir().joinpath(*parts[1:]) if parts[:1] == ("config",) else PROJECT_ROOT / path
    )
    return candidate if candidate.exists() else path
