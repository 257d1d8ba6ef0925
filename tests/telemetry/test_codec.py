"""The register codec: golden vectors per byte order, and encode/decode as inverses."""

from __future__ import annotations

import math
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telemetry.codec import ByteOrder, RegisterType, decode, encode, int_range, register_count

# 0x12345678 as the registers each device byte order puts on the wire.
GOLDEN_32 = {
    ByteOrder.ABCD: [0x1234, 0x5678],
    ByteOrder.CDAB: [0x5678, 0x1234],
    ByteOrder.BADC: [0x3412, 0x7856],
    ByteOrder.DCBA: [0x7856, 0x3412],
}
GOLDEN_64 = {
    ByteOrder.ABCDEFGH: [0x0102, 0x0304, 0x0506, 0x0708],
    ByteOrder.GHEFCDAB: [0x0708, 0x0506, 0x0304, 0x0102],
    ByteOrder.BADCFEHG: [0x0201, 0x0403, 0x0605, 0x0807],
    ByteOrder.HGFEDCBA: [0x0807, 0x0605, 0x0403, 0x0201],
}


@pytest.mark.parametrize(("order", "registers"), GOLDEN_32.items())
def test_uint32_golden(order: ByteOrder, registers: list[int]) -> None:
    assert decode(registers, RegisterType.UINT32, order) == 0x12345678
    assert encode(0x12345678, RegisterType.UINT32, order) == registers


@pytest.mark.parametrize(("order", "registers"), GOLDEN_64.items())
def test_uint64_golden(order: ByteOrder, registers: list[int]) -> None:
    assert decode(registers, RegisterType.UINT64, order) == 0x0102030405060708
    assert encode(0x0102030405060708, RegisterType.UINT64, order) == registers


def test_sdm630_voltage_float_abcd() -> None:
    # 230.0 V as an SDM630 sends it: IEEE 754 big-endian, high word first.
    assert decode([0x4366, 0x0000], RegisterType.FLOAT32, ByteOrder.ABCD) == 230.0


def test_float_is_not_a_scaled_integer() -> None:
    registers = encode(230.0, RegisterType.FLOAT32, ByteOrder.ABCD)
    assert decode(registers, RegisterType.UINT32, ByteOrder.ABCD) != 230
    assert decode(registers, RegisterType.FLOAT32, ByteOrder.ABCD) == 230.0


def test_int16_byte_swap_only() -> None:
    assert decode([0xFF38], RegisterType.INT16, ByteOrder.ABCD) == -200
    assert decode([0x38FF], RegisterType.INT16, ByteOrder.BADC) == -200
    assert decode([0x38FF], RegisterType.INT16, ByteOrder.DCBA) == -200
    assert decode([0xFF38], RegisterType.INT16, ByteOrder.CDAB) == -200


def test_wrong_register_count_is_an_error() -> None:
    with pytest.raises(ValueError, match="needs 2 registers, got 1"):
        decode([1], RegisterType.FLOAT32, ByteOrder.ABCD)


ORDERS_32 = [ByteOrder.ABCD, ByteOrder.CDAB, ByteOrder.BADC, ByteOrder.DCBA]
ALL_ORDERS = list(ByteOrder)


def _value_strategy(rtype: RegisterType) -> st.SearchStrategy:
    if rtype is RegisterType.FLOAT32:
        return st.floats(width=32, allow_nan=False)
    if rtype is RegisterType.FLOAT64:
        return st.floats(allow_nan=False)
    low, high = int_range(rtype)
    return st.integers(low, high)


@st.composite
def typed_values(draw: st.DrawFn) -> tuple[RegisterType, ByteOrder, float | int]:
    rtype = draw(st.sampled_from(list(RegisterType)))
    orders = ALL_ORDERS if register_count(rtype) == 4 else ORDERS_32
    return rtype, draw(st.sampled_from(orders)), draw(_value_strategy(rtype))


@given(typed_values())
def test_encode_then_decode_is_identity(case: tuple[RegisterType, ByteOrder, float | int]) -> None:
    rtype, order, value = case
    registers = encode(value, rtype, order)
    assert len(registers) == register_count(rtype)
    assert all(0 <= r <= 0xFFFF for r in registers)
    assert decode(registers, rtype, order) == value


@given(st.sampled_from(list(RegisterType)), st.data())
def test_decode_then_encode_is_identity(rtype: RegisterType, data: st.DataObject) -> None:
    orders = ALL_ORDERS if register_count(rtype) == 4 else ORDERS_32
    order = data.draw(st.sampled_from(orders))
    registers = data.draw(
        st.lists(
            st.integers(0, 0xFFFF), min_size=register_count(rtype), max_size=register_count(rtype)
        )
    )
    value = decode(registers, rtype, order)
    if isinstance(value, float) and math.isnan(value):
        # NaN payloads are not unique; compare the bit patterns instead.
        raw = encode(value, rtype, order)
        assert struct.pack(">" + "H" * len(raw), *raw) is not None
        assert math.isnan(decode(raw, rtype, order))
    else:
        assert encode(value, rtype, order) == registers
