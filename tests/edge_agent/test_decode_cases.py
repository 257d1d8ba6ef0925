"""Golden decoding cases: registers written out by hand, values worked out by hand.

Each folder of decode_cases/ holds a profile (profile.yaml), the registers a
device answered (registers.yaml: table -> address -> value; an address that is
not listed was not read) and what the agent must make of them (expected.yaml:
values, not_implemented, unread). The round-trip tests in test_decoding.py
cannot see an error that encoder and decoder share; these can.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from edge_agent.decoding import RegisterMap, decode_profile
from telemetry.codec import ByteOrder, RegisterType
from telemetry.registry.profiles import Profile, Table
from telemetry.registry.validators import check_profile
from tests.support.golden import case_dirs, case_id, read_yaml

CASES = Path(__file__).parent / "decode_cases"


def _load(path: Path) -> dict:
    return read_yaml(path) or {}


def _registers(path: Path) -> RegisterMap:
    tables = _load(path)
    return {
        (Table(table), int(address)): int(value)
        for table, registers in tables.items()
        for address, value in registers.items()
    }


@pytest.mark.parametrize("case", case_dirs(CASES), ids=case_id)
def test_decode_case(case: Path) -> None:
    profile = Profile.model_validate(_load(case / "profile.yaml"))
    assert list(check_profile(profile)) == [], "the case's profile must be a valid config"
    expected = _load(case / "expected.yaml")
    decoded = decode_profile(profile, _registers(case / "registers.yaml"))
    want = {name: float(value) for name, value in expected.get("values", {}).items()}
    assert decoded.values == pytest.approx(want, rel=1e-12, abs=1e-12)
    assert sorted(decoded.not_implemented) == sorted(expected.get("not_implemented", []))
    assert sorted(decoded.unread) == sorted(expected.get("unread", []))


def test_the_cases_cover_every_type_and_byte_order() -> None:
    profiles = [Profile.model_validate(_load(c / "profile.yaml")) for c in case_dirs(CASES)]
    fields = [f for p in profiles for f in p.fields]
    assert {f.type for f in fields} == set(RegisterType)
    assert {f.byte_order for f in fields} == set(ByteOrder)
