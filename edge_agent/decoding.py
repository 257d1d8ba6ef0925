"""Registers read from a meter -> canonical field values.

The arithmetic is `telemetry.field_codec.decode_field` (our own `struct` code,
shared with the simulators); this module only finds each field's registers
(and its scale register) among the blocks a poll read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from edge_agent.planner import Block
from telemetry.codec import ByteOrder, RegisterType, decode
from telemetry.field_codec import decode_field
from telemetry.registry.profiles import Profile, ProfileField, Table

RegisterMap = dict[tuple[Table, int], int]


def register_map(blocks: Sequence[tuple[Block, Sequence[int]]]) -> RegisterMap:
    """Address -> register value, for every block that was read."""
    regs: RegisterMap = {}
    for block, values in blocks:
        for offset, value in enumerate(values[: block.count]):
            regs[(block.table, block.start + offset)] = value
    return regs


@dataclass
class Decoded:
    """Raw physical values (may be NaN or inf: plausibility decides) and what was absent."""

    values: dict[str, float] = field(default_factory=dict)
    unread: list[str] = field(default_factory=list)  # registers not read this cycle
    not_implemented: list[str] = field(default_factory=list)  # device's 'missing' marker


def _registers(regs: RegisterMap, table: Table, start: int, count: int) -> list[int] | None:
    out = [regs.get((table, a)) for a in range(start, start + count)]
    return None if any(v is None for v in out) else out  # type: ignore[return-value]


def _scale_factor(regs: RegisterMap, spec: ProfileField) -> tuple[bool, int | None]:
    """(available, sf): the signed int16 power of ten of a SunSpec-style field."""
    if spec.scale_register is None:
        return True, None
    raw = _registers(regs, spec.table, spec.scale_register, 1)
    if raw is None:
        return False, None
    return True, int(decode(raw, RegisterType.INT16, ByteOrder.ABCD))


def decode_profile(profile: Profile, regs: RegisterMap) -> Decoded:
    out = Decoded()
    for spec in profile.fields:
        raw = _registers(regs, spec.table, spec.address, spec.width)
        available, sf = _scale_factor(regs, spec)
        if raw is None or not available:
            out.unread.append(spec.field)
            continue
        value = decode_field(spec, raw, sf)
        if value is None:
            out.not_implemented.append(spec.field)
        else:
            out.values[spec.field] = float(value)
    return out
