"""Register codec: Modbus registers <-> numbers, with explicit byte orders.

Our own small `struct` code (DESIGN.md "Reliability model"); pymodbus does the
transport only. The edge decodes with it and the simulators encode with it, so
the encoder is the exact inverse of the decoder.

Byte-order codes name the bytes of the value, most significant first as `A`,
in the order they arrive on the wire (register by register, high byte first):

| code (32-bit) | 64-bit form | registers hold            | typical device        |
|---------------|-------------|---------------------------|-----------------------|
| ABCD          | ABCDEFGH    | big-endian words, high word first | SDM630, SunSpec |
| CDAB          | GHEFCDAB    | low word first ("word swap")      | many PLCs       |
| BADC          | BADCFEHG    | bytes swapped in each word        | some converters |
| DCBA          | HGFEDCBA    | fully little-endian               | rare            |

For 16-bit types only the byte swap matters (ABCD = CDAB, BADC = DCBA).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from enum import StrEnum


class RegisterType(StrEnum):
    INT16 = "int16"
    UINT16 = "uint16"
    INT32 = "int32"
    UINT32 = "uint32"
    INT64 = "int64"
    UINT64 = "uint64"
    FLOAT32 = "float32"
    FLOAT64 = "float64"


class ByteOrder(StrEnum):
    ABCD = "ABCD"
    CDAB = "CDAB"
    BADC = "BADC"
    DCBA = "DCBA"
    ABCDEFGH = "ABCDEFGH"
    GHEFCDAB = "GHEFCDAB"
    BADCFEHG = "BADCFEHG"
    HGFEDCBA = "HGFEDCBA"


_STRUCT = {
    RegisterType.INT16: "h",
    RegisterType.UINT16: "H",
    RegisterType.INT32: "i",
    RegisterType.UINT32: "I",
    RegisterType.INT64: "q",
    RegisterType.UINT64: "Q",
    RegisterType.FLOAT32: "f",
    RegisterType.FLOAT64: "d",
}

# (words swapped: low word first, bytes swapped inside each word)
_ORDER = {
    ByteOrder.ABCD: (False, False),
    ByteOrder.ABCDEFGH: (False, False),
    ByteOrder.CDAB: (True, False),
    ByteOrder.GHEFCDAB: (True, False),
    ByteOrder.BADC: (False, True),
    ByteOrder.BADCFEHG: (False, True),
    ByteOrder.DCBA: (True, True),
    ByteOrder.HGFEDCBA: (True, True),
}

_64BIT_ORDERS = {ByteOrder.ABCDEFGH, ByteOrder.GHEFCDAB, ByteOrder.BADCFEHG, ByteOrder.HGFEDCBA}


def register_count(rtype: RegisterType) -> int:
    return struct.calcsize(_STRUCT[rtype]) // 2


def is_float(rtype: RegisterType) -> bool:
    return rtype in (RegisterType.FLOAT32, RegisterType.FLOAT64)


def order_fits(rtype: RegisterType, order: ByteOrder) -> bool:
    """The 8-letter codes only describe 64-bit values."""
    return order not in _64BIT_ORDERS or register_count(rtype) == 4


def _reorder(words: list[bytes], order: ByteOrder) -> list[bytes]:
    # Both swaps are their own inverse, so this one function encodes and decodes.
    swap_words, swap_bytes = _ORDER[order]
    if swap_words:
        words = words[::-1]
    if swap_bytes:
        words = [w[::-1] for w in words]
    return words


def decode(registers: Sequence[int], rtype: RegisterType, order: ByteOrder) -> int | float:
    """Decode the registers of one value (exactly `register_count(rtype)` of them)."""
    count = register_count(rtype)
    if len(registers) != count:
        raise ValueError(f"{rtype.value} needs {count} registers, got {len(registers)}")
    words = [struct.pack(">H", r) for r in registers]
    return struct.unpack(">" + _STRUCT[rtype], b"".join(_reorder(words, order)))[0]


def encode(value: int | float, rtype: RegisterType, order: ByteOrder) -> list[int]:
    """The registers a device holds for `value`: the exact inverse of `decode`."""
    raw = struct.pack(">" + _STRUCT[rtype], value)
    words = [raw[i : i + 2] for i in range(0, len(raw), 2)]
    return [struct.unpack(">H", w)[0] for w in _reorder(words, order)]


def int_range(rtype: RegisterType) -> tuple[int, int]:
    bits = 16 * register_count(rtype)
    if rtype.value.startswith("uint"):
        return 0, 2**bits - 1
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
