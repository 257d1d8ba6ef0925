"""Units of a site and the normaliser: every common spelling of a unit is one unit id, and an
unknown unit is refused with the closest units (golden cases in unit_spellings.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli import app
from api.units_cli import parse_blocks, parse_buildings
from telemetry.registry import load_registry
from telemetry.registry.units import (
    SiteUnits,
    UnitKind,
    UnitNotFound,
    apartment_units,
    read_unit_csv,
    tokens,
)
from tests.support.golden import read_yaml

CASES: list[dict[str, Any]] = read_yaml(Path(__file__).parent / "unit_spellings.yaml")
REGISTRY = load_registry("config/sites/demo.yaml")


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['site']}:{c['spelling']}")
def test_spelling_resolves_or_is_refused_with_suggestions(case: dict[str, Any]) -> None:
    if case["unit"] is not None:
        assert REGISTRY.resolve_unit(case["site"], case["spelling"]) == case["unit"]
        return
    with pytest.raises(UnitNotFound) as refused:
        REGISTRY.resolve_unit(case["site"], case["spelling"])
    assert refused.value.site == case["site"]
    if "closest" in case:
        assert refused.value.suggestions[0] == case["closest"]
        assert case["closest"] in str(refused.value)
    assert all(s in REGISTRY.units[case["site"]].units for s in refused.value.suggestions)


def test_demo_sites_have_units_and_households_sit_on_them() -> None:
    assert {s: len(u.units) for s, u in REGISTRY.units.items()} == {
        "pungam-lh-apt": 840,
        "munheung-apt": 1200,
        "hanam-ic": 22,
        "pyeongdong-ic": 16,
    }
    placed = {h.id: h.unit for h in REGISTRY.households.households.values() if h.unit}
    assert placed["pungam-101-1203"] == "101-1203"
    for hid, unit in placed.items():
        site = REGISTRY.households.households[hid].site
        assert unit in REGISTRY.units[site].units


def test_a_long_spelling_is_refused_without_work() -> None:
    units = SiteUnits("s", UnitKind.APARTMENT, ("101-1203",))
    with pytest.raises(UnitNotFound) as refused:
        units.resolve("101-1203" + " " * 40 + "x")
    assert len(refused.value.given) <= 40


def test_tokens_drop_noise_and_leading_zeros() -> None:
    assert tokens("제0101동 제01203호") == (101, 1203)
    assert tokens("B1동 03호") == ("b", 1, 3)


def test_generated_blocks_number_floor_and_line() -> None:
    units = apartment_units(parse_blocks("101-102:2x3"))
    assert units == [
        "101-101", "101-102", "101-103", "101-201", "101-202", "101-203",
        "102-101", "102-102", "102-103", "102-201", "102-202", "102-203",
    ]  # fmt: skip
    for bad in ("101:0x3", "102-101:2x3", "x:1x1", "101:2x100", ""):
        with pytest.raises(ValueError):
            parse_blocks(bad)
    assert parse_buildings("B1:2,c:1") == {"b1": 2, "c": 1}
    with pytest.raises(ValueError):
        parse_buildings("b 1:2")


def test_kapt_csv_import_reads_dong_and_ho_columns() -> None:
    text = "\ufeff단지코드,동,호,전용면적\nA1,101,1203,39.9\nA1,0101동,0204호,49.5\n\n"
    assert read_unit_csv(text, "kapt.csv") == ["101-1203", "101-204"]
    for bad, where in (
        ("단지코드,면적\nA1,3\n", "kapt.csv:1"),
        ("동,호\n101,1203\n101,1203\n", "kapt.csv:3"),
        ("동,호\n101,가\n", "kapt.csv:2"),
        ("동,호\n101\n", "kapt.csv:2"),
    ):
        with pytest.raises(ValueError, match=where):
            read_unit_csv(bad, "kapt.csv")


def test_cli_generate_import_and_resolve(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "pungam-lh-apt.yaml"
    done = runner.invoke(
        app, ["units", "generate", "pungam-lh-apt", "--blocks", "101-107:15x8", "--out", str(out)]
    )
    assert done.exit_code == 0, done.output
    assert (
        out.read_text(encoding="utf-8").split("\n")[3:]
        == Path("config/units/pungam-lh-apt.yaml").read_text(encoding="utf-8").split("\n")[3:]
    )
    csv_file = tmp_path / "kapt.csv"
    csv_file.write_text("동,호\n101,1203\n", encoding="utf-8")
    done = runner.invoke(app, ["units", "import-csv", "x", str(csv_file), "--out", str(out)])
    assert done.exit_code == 0 and "1 units of x" in done.output
    found = runner.invoke(app, ["units", "resolve", "pungam-lh-apt", "0101동 1203호"])
    assert found.exit_code == 0 and found.output.strip() == "101-1203"
    refused = runner.invoke(app, ["units", "resolve", "pungam-lh-apt", "101-1230"])
    assert refused.exit_code == 1 and "closest: 101-1203" in refused.output
