"""Decoding through the profiles: every register type and byte order, scale registers, markers."""

from __future__ import annotations

import itertools
import math

import pytest

from edge_agent.decoding import decode_profile, register_map
from edge_agent.planner import plan_reads
from telemetry.codec import ByteOrder, RegisterType, encode, is_float, order_fits
from telemetry.field_codec import SF_NOT_IMPLEMENTED, encode_field, encode_missing
from telemetry.fields import FIELDS
from telemetry.paths import config_dir
from telemetry.registry import load_profiles
from telemetry.registry.profiles import Profile, ProfileField, Table

PROFILES = load_profiles(config_dir() / "profiles")

Image = dict[tuple[Table, int], int]


def _sample_value(profile: Profile, spec: ProfileField, index: int) -> float:
    canon = FIELDS[profile.utility][spec.field]
    low, high = max(canon.low, 0.0), min(canon.high, 400.0)
    return low + (high - low) * (index + 1) / (len(profile.fields) + 2)


def _image(profile: Profile, values: dict[str, float]) -> Image:
    """What a device holds: constants (scale registers) and each field's encoding."""
    image: Image = {}
    sf = {}
    for const in profile.constants:
        for offset, reg in enumerate(encode(int(const.value), const.type, const.byte_order)):
            image[(const.table, const.address + offset)] = reg
        sf[const.address] = int(const.value)
    for spec in profile.fields:
        regs = encode_field(spec, values[spec.field], sf.get(spec.scale_register))
        for offset, reg in enumerate(regs):
            image[(spec.table, spec.address + offset)] = reg
    return image


def _read(profile: Profile, image: Image):
    blocks = plan_reads(profile)
    read = [(b, [image.get((b.table, b.start + i), 0) for i in range(b.count)]) for b in blocks]
    return decode_profile(profile, register_map(read))


def _step(spec: ProfileField, sf: int | None) -> float:
    """The resolution of one raw step, so integer fields are compared to their rounding."""
    if is_float(spec.type):
        return 1e-4
    return abs(spec.scale) * (10.0**sf if sf is not None else 1.0)


@pytest.mark.parametrize("profile_id", sorted(PROFILES))
def test_every_profile_decodes_what_a_device_encodes(profile_id: str) -> None:
    profile = PROFILES[profile_id]
    values = {s.field: _sample_value(profile, s, i) for i, s in enumerate(profile.fields)}
    decoded = _read(profile, _image(profile, values))
    assert decoded.unread == [] and decoded.not_implemented == []
    assert set(decoded.values) == set(values)
    sfs = {c.address: int(c.value) for c in profile.constants}
    for spec in profile.fields:
        tolerance = _step(spec, sfs.get(spec.scale_register)) + abs(values[spec.field]) * 1e-6
        assert decoded.values[spec.field] == pytest.approx(values[spec.field], abs=tolerance)


_COMBOS = [(t, o) for t, o in itertools.product(RegisterType, ByteOrder) if order_fits(t, o)]


@pytest.mark.parametrize(
    ("rtype", "order"), _COMBOS, ids=[f"{t.value}-{o.value}" for t, o in _COMBOS]
)
def test_each_type_and_byte_order_through_a_profile(rtype: RegisterType, order: ByteOrder) -> None:
    spec = ProfileField(
        field="power_kw", address=10, type=rtype, byte_order=order, scale=0.5, offset=-3
    )
    profile = Profile(id="t", description="t", utility="electricity", fields=[spec])
    value = -103.5 if not rtype.value.startswith("uint") else 1234.5
    decoded = _read(
        profile, {(Table.HOLDING, 10 + i): r for i, r in enumerate(encode_field(spec, value))}
    )
    assert decoded.values["power_kw"] == pytest.approx(value)


def test_all_byte_order_codes_are_exercised() -> None:
    assert {o for _, o in _COMBOS} == set(ByteOrder)
    assert {t for t, _ in _COMBOS} == set(RegisterType)


def test_sunspec_missing_markers_and_unimplemented_scale_factor() -> None:
    profile = PROFILES["sunspec_inverter_103"]
    values = {s.field: _sample_value(profile, s, i) for i, s in enumerate(profile.fields)}
    image = _image(profile, values)
    freq = profile.field_named("frequency_hz")
    for offset, reg in enumerate(encode_missing(freq)):
        image[(freq.table, freq.address + offset)] = reg
    current = profile.field_named("current_a")
    image[(current.table, current.scale_register)] = encode(
        SF_NOT_IMPLEMENTED, RegisterType.INT16, ByteOrder.ABCD
    )[0]
    decoded = _read(profile, image)
    assert sorted(decoded.not_implemented) == ["current_a", "frequency_hz"]
    assert "frequency_hz" not in decoded.values and "power_kw" in decoded.values


def test_a_negative_scale_factor_is_read_as_signed() -> None:
    profile = PROFILES["sunspec_inverter_103"]
    values = {s.field: _sample_value(profile, s, i) for i, s in enumerate(profile.fields)}
    decoded = _read(profile, _image(profile, values))
    # V_SF is -1: a sign error would make volts 100x too large.
    assert decoded.values["voltage_l1_v"] == pytest.approx(values["voltage_l1_v"], abs=0.1)


def test_registers_not_read_are_reported_not_guessed() -> None:
    profile = PROFILES["eastron_sdm630"]
    blocks = plan_reads(profile)
    first = blocks[0]
    decoded = decode_profile(profile, register_map([(first, [0] * first.count)]))
    assert "energy_kwh" in decoded.unread
    assert decoded.values["voltage_l1_v"] == 0.0


def test_float_nan_passes_decoding_for_plausibility_to_judge() -> None:
    spec = ProfileField(field="power_kw", address=0, type=RegisterType.FLOAT32)
    profile = Profile(id="t", description="t", utility="electricity", fields=[spec])
    decoded = _read(profile, {(Table.HOLDING, 0): 0x7FC0, (Table.HOLDING, 1): 0})
    assert math.isnan(decoded.values["power_kw"])
