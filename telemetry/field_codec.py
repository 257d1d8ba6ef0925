"""Profile fields <-> registers: raw decoding plus scale, offset and missing markers.

value = raw * scale * 10**sf + offset, where sf is read from the field's scale
register (SunSpec `*_SF`, a signed int16) when it has one. The simulators use
`encode_field`, the exact inverse, so both ends agree by construction.

The arithmetic is decimal, then rounded once to the nearest double: a value
carries the resolution its register and scale imply and no binary noise
(raw 7235 × 0.01 is 72.35, not 72.35000000000001; a float32 register is taken
at its shortest decimal, 230.1 rather than 230.10000610351562).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from decimal import Decimal

from telemetry.codec import RegisterType, decode, encode, int_range, is_float
from telemetry.registry.profiles import ProfileField

SF_NOT_IMPLEMENTED = -32768  # SunSpec: 0x8000 in a sunssf register


class FieldRangeError(ValueError):
    """A value the field's register type cannot hold."""


def decode_field(
    spec: ProfileField, registers: Sequence[int], sf: int | None = None
) -> float | None:
    """The physical value of `spec`, or None when the device marks it not implemented."""
    raw = decode(registers, spec.type, spec.byte_order)
    if spec.missing_value is not None and not is_float(spec.type) and raw == spec.missing_value:
        return None
    if spec.scale_register is not None:
        if sf is None or sf == SF_NOT_IMPLEMENTED:
            return None
        return _physical(raw, spec, sf)
    return _physical(raw, spec, 0)


def _physical(raw: float, spec: ProfileField, sf: int) -> float:
    """raw × scale × 10**sf + offset, exact in decimal, then the nearest double."""
    if not math.isfinite(raw):
        return raw * spec.scale + spec.offset  # NaN and inf: plausibility decides
    digits = _shortest_float32(raw) if spec.type is RegisterType.FLOAT32 else repr(raw)
    exact = Decimal(digits) * Decimal(repr(spec.scale)) * Decimal(1).scaleb(sf)
    return float(exact + Decimal(repr(spec.offset)))


def _shortest_float32(value: float) -> str:
    """The shortest decimal that reads back as the same float32 (at most 9 digits)."""
    for digits in range(6, 10):
        text = f"{value:.{digits}g}"
        if struct.unpack("<f", struct.pack("<f", float(text)))[0] == value:
            return text
    return repr(value)


def encode_field(spec: ProfileField, value: float, sf: int | None = None) -> list[int]:
    """The registers that make `decode_field` return `value` (rounded to the register's step)."""
    factor = spec.scale * (10.0**sf if spec.scale_register is not None and sf is not None else 1.0)
    raw = (value - spec.offset) / factor
    if is_float(spec.type):
        return encode(raw, spec.type, spec.byte_order)
    low, high = int_range(spec.type)
    rounded = round(raw)
    if not low <= rounded <= high:
        raise FieldRangeError(
            f"{spec.field}: {value} does not fit {spec.type.value} (raw {rounded})"
        )
    return encode(rounded, spec.type, spec.byte_order)


def encode_missing(spec: ProfileField) -> list[int]:
    """The registers of a 'not implemented' marker, for simulating it."""
    if spec.missing_value is None:
        raise ValueError(f"{spec.field}: the profile defines no missing_value")
    return encode(spec.missing_value, spec.type, spec.byte_order)
