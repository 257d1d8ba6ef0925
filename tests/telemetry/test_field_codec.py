"""Profile-level decoding: scale, offset, SunSpec scale factors and not-implemented markers."""

from __future__ import annotations

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
