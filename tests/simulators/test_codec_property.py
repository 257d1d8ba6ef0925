"""The simulator's encoder is the exact inverse of the agent's decoder, for every type and order."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulators.registers import build_images, garbage_int
from telemetry.codec import ByteOrder, RegisterType, decode, encode, int_range, is_float, order_fits
from telemetry.field_codec import decode_field, encode_field
from telemetry.paths import config_dir
from telemetry.registry import ProfileField, load_profiles

PAIRS = [(t, o) for t in RegisterType for o in ByteOrder if order_fits(t, o)]


def _values(rtype: RegisterType) -> st.SearchStrategy:
    if rtype is RegisterType.FLOAT32:
        return st.floats(width=32, allow_nan=True, allow_infinity=True)
    if rtype is RegisterType.FLOAT64:
        return st.floats(allow_nan=True, allow_infinity=True)
    low, high = int_range(rtype)
    return st.integers(low, high)


@pytest.mark.parametrize(("rtype", "order"), PAIRS, ids=[f"{t.value}-{o.value}" for t, o in PAIRS])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_raw_round_trip(rtype: RegisterType, order: ByteOrder, data: st.DataObject) -> None:
    value = data.draw(_values(rtype))
    regs = encode(value, rtype, order)
    assert all(0 <= r <= 0xFFFF for r in regs)
    back = decode(regs, rtype, order)
    if is_float(rtype) and math.isnan(value):
        assert math.isnan(back)
    else:
        assert back == value
    # and the other way: any register contents decode and re-encode to themselves
    words = data.draw(st.lists(st.integers(0, 0xFFFF), min_size=len(regs), max_size=len(regs)))
    again = encode(decode(words, rtype, order), rtype, order)
    if is_float(rtype) and math.isnan(decode(words, rtype, order)):
        return  # NaN payload bits need not survive a float round trip
    assert again == words


@pytest.mark.parametrize(("rtype", "order"), PAIRS, ids=[f"{t.value}-{o.value}" for t, o in PAIRS])
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_scaled_field_round_trip(
    rtype: RegisterType, order: ByteOrder, data: st.DataObject
) -> None:
    scale = data.draw(st.sampled_from([1.0, 0.1, 0.01, 0.001, 10.0]))
    offset = data.draw(st.sampled_from([0.0, -40.0, 273.15]))
    sf = data.draw(st.one_of(st.none(), st.integers(-3, 3)))
    if is_float(rtype):
        sf = None  # scale registers apply to integers only
    spec = ProfileField(
        field="x", address=0, type=rtype, byte_order=order, scale=scale, offset=offset,
        scale_register=1 if sf is not None else None,
    )  # fmt: skip
    if is_float(rtype):
        raw = data.draw(st.floats(-1e6, 1e6, width=32 if rtype is RegisterType.FLOAT32 else 64))
    else:
        low, high = int_range(rtype)
        raw = data.draw(st.integers(max(low, -(2**50)), min(high, 2**50)))
    value = decode_field(spec, encode(raw, rtype, order), sf)
    assert value is not None
    regs = encode_field(spec, value, sf)
    if is_float(rtype):
        assert decode_field(spec, regs, sf) == pytest.approx(value, rel=1e-6, abs=1e-9)
    else:
        assert regs == encode(raw, rtype, order)  # exactly the raw integer the device held


def test_garbage_integers_are_extremes_but_never_the_missing_marker() -> None:
    for rtype in RegisterType:
        if is_float(rtype):
            continue
        low, high = int_range(rtype)
        plain = ProfileField(field="x", address=0, type=rtype)
        assert garbage_int(plain) == (low if low < 0 else high)
        marked = ProfileField(field="x", address=0, type=rtype, missing_value=garbage_int(plain))
        assert garbage_int(marked) != marked.missing_value


@pytest.mark.parametrize("profile_id", sorted(load_profiles(config_dir() / "profiles")))
def test_every_profile_renders_what_the_decoder_reads(profile_id: str) -> None:
    profile = load_profiles(config_dir() / "profiles")[profile_id]
    images = build_images(profile)
    values = {f.field: 123.0 for f in profile.fields}
    for image in images.values():
        regs = image.blank()
        image.render(values, regs, 0)
        for spec in image.fields:
            pos = spec.address - image.start
            sf = None
            if spec.scale_register is not None:
                sf_raw = regs[spec.scale_register - image.start]
                sf = sf_raw - 65536 if sf_raw >= 32768 else sf_raw
            got = decode_field(spec, regs[pos : pos + spec.width], sf)
            step = abs(spec.scale * (10.0**sf if sf is not None else 1.0))
            assert got == pytest.approx(123.0, abs=step / 2 + 1e-9), spec.field
