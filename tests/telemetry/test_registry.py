"""The registry: the demo config loads; each broken config names file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from telemetry.config.messages import MESSAGES
from telemetry.fields import Utility
from telemetry.registry import ConfigError, load_registry
from tests.support.golden import assert_issues, case_dirs, case_id, covered_ids, errors

CASES = Path(__file__).parent / "config_cases"
CASE_DIRS = (CASES, Path(__file__).parent / "settings_cases")


def test_demo_config_loads() -> None:
    registry = load_registry("config/sites/demo.yaml")
    assert len(registry.sites) == 4
    meters = registry.meters()
    assert len(meters) >= 19
    assert {m.utility for _, _, m in meters} == set(Utility)
    solar_sites = {s.id for s, _, m in meters if m.utility is Utility.SOLAR}
    assert len(solar_sites) == 3
    kinds = {s.kind.value for s in registry.sites.values()}
    assert kinds == {"industrial_complex", "apartment_complex"}
    for site in registry.sites.values():
        utilities = {m.utility for a in site.agents for m in a.meters}
        assert {Utility.ELECTRICITY, Utility.GAS, Utility.WATER, Utility.HEAT} <= utilities
    industrial = [s for s in registry.sites.values() if s.kind.value == "industrial_complex"]
    for site in industrial:
        buildings = {m.building for a in site.agents for m in a.meters if m.building}
        assert len(buildings) >= 2, f"{site.id} should have several buildings"


def test_registry_lookups() -> None:
    registry = load_registry("config/sites/demo.yaml")
    assert registry.knows("hanam-ic", "hanam-gw-a")
    assert not registry.knows("pyeongdong-ic", "hanam-gw-a")
    assert not registry.knows("hanam-ic", "nobody")
    assert registry.site_of_agent("pungam-gw").id == "pungam-lh-apt"
    tags = registry.tags("munheung-apt")
    assert (tags.district, tags.dong, tags.building_type) == ("29170", "2917065600", "apartment")
    meter = registry.meters_of("hanam-gw-b")[1]
    assert registry.profile_of(meter).id == "sunspec_inverter_103"


def test_demo_profiles_use_every_type_and_byte_order() -> None:
    registry = load_registry("config/sites/demo.yaml")
    fields = [f for p in registry.profiles.values() for f in p.fields]
    assert {f.type.value for f in fields} == {
        "int16",
        "uint16",
        "int32",
        "uint32",
        "int64",
        "uint64",
        "float32",
        "float64",
    }
    assert {f.byte_order.value for f in fields} == {
        "ABCD",
        "CDAB",
        "BADC",
        "DCBA",
        "ABCDEFGH",
        "GHEFCDAB",
        "BADCFEHG",
        "HGFEDCBA",
    }


def test_every_message_has_a_golden_case() -> None:
    missing = sorted(set(MESSAGES) - covered_ids(*CASE_DIRS))
    assert not missing, (
        f"messages without a case folder in {[d.name for d in CASE_DIRS]}: {missing}"
    )


@pytest.mark.parametrize("case", case_dirs(CASES), ids=case_id)
def test_broken_config_names_file_line_and_field(case: Path) -> None:
    """Each case's expected.yaml lists (file, line, field, message id) of every issue."""
    with pytest.raises(ConfigError) as caught:
        load_registry(case / "sites.yaml")
    assert_issues(caught.value, errors(case))


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.yaml: file not found"):
        load_registry(tmp_path / "nope.yaml")
