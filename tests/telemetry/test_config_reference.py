"""config/README.md is kept in step with the code: generated blocks, example settings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from api.settings import ApiSettings
from collector.rollup.settings import RollupSettings
from collector.settings import CollectorSettings
from edge_agent.settings import AgentSettings
from telemetry.codec import ByteOrder, RegisterType, decode
from telemetry.config_reference import EXAMPLE, README, main
from telemetry.fields import FIELDS


def test_the_committed_readme_is_fresh() -> None:
    assert main(["--check"]) == 0, "run `python -m telemetry.config_reference` and commit"


def test_a_stale_readme_is_caught(tmp_path: Path) -> None:
    stale = tmp_path / "README.md"
    text = README.read_text(encoding="utf-8")
    stale.write_text(text.replace("| `supply_temp_c` |", "| `supply_temperature` |"), "utf-8")
    assert main(["--check"], readme=stale) == 1
    assert main([], readme=stale) == 0 and stale.read_text(encoding="utf-8") == text


def test_every_canonical_field_is_listed_with_its_unit() -> None:
    text = README.read_text(encoding="utf-8")
    for specs in FIELDS.values():
        for spec in specs.values():
            assert f"| `{spec.name}` | {spec.unit or '(none)'} |" in text


@pytest.mark.parametrize("order", ["ABCD", "CDAB", "BADC", "DCBA"])
def test_the_worked_byte_order_example_decodes(order: str) -> None:
    row = re.search(
        rf"\| `{order}` \| [0-9A-F ]+ \| 0x([0-9A-F]{{4}}) \(\d+\) \| 0x([0-9A-F]{{4}})",
        README.read_text(encoding="utf-8"),
    )
    assert row, order
    registers = [int(row.group(1), 16), int(row.group(2), 16)]
    assert decode(registers, RegisterType.UINT32, ByteOrder(order)) == EXAMPLE


def test_the_example_settings_file_is_valid_for_every_component(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Settings file", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "settings.yaml").write_text(example, encoding="utf-8")
    monkeypatch.setenv("ENERGY_CONFIG_DIR", str(tmp_path))
    assert CollectorSettings().flush_interval_s == 1
    assert RollupSettings().interval_s == 60
    assert AgentSettings().status_interval_s == 30
    assert ApiSettings().api_config == Path("config/api.yaml")
