"""Operators script against flag and environment names: each component's are kept as golden files.

tests/telemetry/cli_names/<component>.txt lists every command with its
options (all spellings), then every ENERGY_* variable its settings read. A
rename anywhere — a Typer option, a settings field — changes the list and
fails here; a deliberate change regenerates the file with
`ENERGY_UPDATE_GOLDEN=1 scripts/test.sh tests/telemetry/test_cli_names.py`
and shows up in review as a diff of names.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest
import typer
from typer.core import TyperGroup, TyperOption

from telemetry.config.settings import Settings

GOLDEN = Path(__file__).parent / "cli_names"
# component -> (module holding the Typer `app`, the settings class or None)
COMPONENTS = {
    "simulators": ("simulators.cli", None),
    "edge_agent": ("edge_agent.cli", "edge_agent.settings:AgentSettings"),
    "collector": ("collector.cli", "collector.settings:CollectorSettings"),
    "rollup": ("collector.rollup.cli", "collector.rollup.settings:RollupSettings"),
    "api": ("api.cli", "api.settings:ApiSettings"),
    "dashboards": ("dashboards.cli", None),
    "alerts": ("alerts.cli", "alerts.settings:AlertsSettings"),
    "importers": ("importers.cli", "importers.settings:ImporterSettings"),
    "db": ("telemetry.db.cli", None),
}


def _commands(command: typer.core.TyperCommand | TyperGroup, path: str) -> list[str]:
    lines = []
    options = sorted(
        " ".join(sorted([*p.opts, *p.secondary_opts]))
        for p in command.params
        if isinstance(p, TyperOption) and "--help" not in p.opts
    )
    lines.append(f"{path}: {', '.join(options) or '(no options)'}")
    if isinstance(command, TyperGroup):
        for name in sorted(command.commands):
            lines += _commands(command.commands[name], f"{path} {name}")
    return lines


def _env_names(spec: str | None) -> list[str]:
    if spec is None:
        return []
    module, _, name = spec.partition(":")
    cls: type[Settings] = getattr(importlib.import_module(module), name)
    prefix = cls.model_config.get("env_prefix", "")
    return sorted(f"{prefix}{field}".upper() for field in cls.model_fields)


def names_of(component: str) -> str:
    module, settings = COMPONENTS[component]
    app: typer.Typer = importlib.import_module(module).app
    lines = _commands(typer.main.get_command(app), component)
    env = _env_names(settings)
    if env:
        lines += ["environment:", *env]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("component", sorted(COMPONENTS))
def test_flag_and_environment_names_are_as_documented(component: str) -> None:
    golden = GOLDEN / f"{component}.txt"
    found = names_of(component)
    if os.environ.get("ENERGY_UPDATE_GOLDEN") == "1":
        golden.write_text(found, encoding="utf-8")
    assert golden.is_file(), f"{golden.name} missing: run with ENERGY_UPDATE_GOLDEN=1 once"
    assert found == golden.read_text(encoding="utf-8"), f"names changed for {component}"


def test_the_shared_flags_of_the_design_table_are_there() -> None:
    """DESIGN.md's fixed names, checked where each component takes them."""
    assert "--mqtt-url" in names_of("edge_agent") and "ENERGY_AGENT" in names_of("edge_agent")
    collector = names_of("collector")
    for name in ("--influx-url", "--influx-token", "--metrics-port", "ENERGY_INFLUX_BUCKET"):
        assert name in collector
    assert "--port-offset" in names_of("simulators") and "ENERGY_API_PORT" in names_of("api")
