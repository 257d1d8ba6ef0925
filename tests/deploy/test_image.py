"""The services' image holds every package the project installs.

deploy/Dockerfile copies packages one by one (so a change to config/ does not
rebuild the install layer); a package added to pyproject.toml but not copied
would make `python -m <package>` fail only inside the container.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _installed() -> set[str]:
    """The packages pyproject.toml installs (its `packages.find.include`)."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    include = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    return {pattern.rstrip("*") for pattern in include}


def test_the_image_copies_every_installed_package() -> None:
    installed = _installed()
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    copied = set(re.findall(r"^COPY (\w+) \./\1$", dockerfile, re.M))
    assert installed - copied == set(), "packages installed but not in the image"
    assert copied - installed - {"config", "deploy"} == set(), "copied but not installed"


def test_every_top_level_package_is_installed() -> None:
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "bench"}
    assert packages == _installed()
