"""Profile-level decoding: scale, offset, SunSpec scale factors and not-implemented markers."""

from __future__ import annotations

import math

import pytest

from telemetry.codec import ByteOrder, RegisterType, encode
from telemetry.field_codec import (
    SF_NOT_IMPLEMENTED,
    FieldRangeError,
    decode_field,
    encode_field,
    encode_missing,
)
from telemetry.registry import load_profiles
from telemetry.registry.profiles import ProfileField


@pytest.fixture(scope="module")
def profiles():
    from telemetry.paths import config_dir

    return load_profiles(config_dir() / "profiles")


def test_sunspec_power_with_scale_factor(profiles) -> None:
    power = profiles["sunspec_inverter_103"].field_named("power_kw")
    # W_SF = 1: raw 1234 means 12,340 W = 12.34 kW
    assert decode_field(power, [1234], sf=1) == pytest.approx(12.34)
    assert decode_field(power, encode_field(power, 12.34, sf=1), sf=1) == pytest.approx(12.34)


def test_sunspec_not_implemented_markers(profiles) -> None:
    sunspec = profiles["sunspec_inverter_103"]
    power = sunspec.field_named("power_kw")
    voltage = sunspec.field_named("voltage_l1_v")
    energy = sunspec.field_named("energy_kwh")
    assert decode_field(power, [0x8000], sf=1) is None
    assert decode_field(voltage, [0xFFFF], sf=-1) is None
    assert decode_field(energy, [0, 0], sf=0) is None
    assert decode_field(voltage, [2301], sf=SF_NOT_IMPLEMENTED) is None
    assert decode_field(power, encode_missing(power), sf=1) is None


def test_scaled_counter_with_word_swap(profiles) -> None:
    volume = profiles["gw_gas_pulse_v1"].field_named("volume_m3")
    assert volume.byte_order is ByteOrder.CDAB
    registers = encode(123456, RegisterType.UINT32, ByteOrder.CDAB)
    assert decode_field(volume, registers) == pytest.approx(1234.56)


def test_offset_is_applied_after_scale() -> None:
    spec = ProfileField(field="supply_temp_c", address=0, type="int16", scale=0.1, offset=-40)
    assert decode_field(spec, [650]) == pytest.approx(25.0)
    assert decode_field(spec, encode_field(spec, 25.0)) == pytest.approx(25.0)


def test_value_that_does_not_fit_is_refused() -> None:
    spec = ProfileField(field="flow_m3h", address=0, type="uint16", scale=0.01)
    with pytest.raises(FieldRangeError, match="does not fit uint16"):
        encode_field(spec, 1000.0)


@pytest.mark.parametrize(
    ("type_", "order", "scale", "sf", "raw", "expected"),
    [
        ("uint16", "ABCD", 0.01, None, 7235, "72.35"),  # 7235 * 0.01 = 72.35000000000001 in binary
        ("uint64", "ABCDEFGH", 0.001, None, 48213700, "48213.7"),
        ("uint32", "CDAB", 0.01, None, 10000001, "100000.01"),
        ("int16", "ABCD", 0.01, None, -1, "-0.01"),
        ("uint16", "ABCD", 1.0, -1, 2301, "230.1"),  # SunSpec V with V_SF = -1
        ("int16", "ABCD", 0.001, 1, 1234, "12.34"),  # W with W_SF = 1, shown in kW
        ("float32", "ABCD", 1.0, None, 230.1, "230.1"),  # not 230.10000610351562
        ("float32", "CDAB", 0.001, None, 1536.4, "1.5364"),  # W -> kW
        ("float64", "ABCDEFGH", 0.001, None, 72350.0, "72.35"),
    ],
)
def test_decoded_values_carry_their_resolution_not_float_noise(
    type_: str, order: str, scale: float, sf: int | None, raw: float, expected: str
) -> None:
    spec = ProfileField(
        field="flow_m3h",
        address=0,
        type=type_,
        byte_order=order,
        scale=scale,
        scale_register=1 if sf is not None else None,
    )
    value = decode_field(spec, encode(raw, RegisterType(type_), ByteOrder(order)), sf)
    assert repr(value) == expected


def test_every_step_of_a_scaled_register_is_its_shortest_decimal() -> None:
    spec = ProfileField(field="volume_m3", address=0, type="uint32", scale=0.001)
    for raw in range(48_213_000, 48_214_000):
        value = decode_field(spec, encode(raw, RegisterType.UINT32, ByteOrder.ABCD))
        assert value == float(f"{raw // 1000}.{raw % 1000:03d}"), raw  # the decimal, exactly


def test_non_finite_floats_pass_through_for_plausibility() -> None:
    spec = ProfileField(field="power_kw", address=0, type="float32", scale=0.001)
    assert math.isnan(decode_field(spec, encode(math.nan, RegisterType.FLOAT32, ByteOrder.ABCD)))
    assert decode_field(spec, encode(math.inf, RegisterType.FLOAT32, ByteOrder.ABCD)) == math.inf
