"""A profile's register image: where each field and constant sits, and how to fill it.

Each table (holding, input) the profile uses becomes one contiguous block from
its lowest to its highest register. Registers between fields read as 0, as on
real meters, so a coalesced read spanning a small gap succeeds; addresses
outside the block answer Modbus exception 2 (illegal data address).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from telemetry.codec import encode, int_range, is_float
from telemetry.field_codec import FieldRangeError, encode_field, encode_missing
from telemetry.registry import Profile, ProfileField, Table

GARBAGE_FLOATS = (math.nan, math.inf, -math.inf)


@dataclass
class TableImage:
    table: Table
    start: int
    size: int
    fields: list[ProfileField] = field(default_factory=list)
    constants: dict[int, list[int]] = field(default_factory=dict)  # address -> registers
    sf: dict[int, int] = field(default_factory=dict)  # scale-register address -> value

    def blank(self) -> list[int]:
        regs = [0] * self.size
        for address, words in self.constants.items():
            regs[address - self.start : address - self.start + len(words)] = words
        return regs

    def render(self, values: dict[str, float], out: list[int], offset: int) -> None:
        """Write `values` (canonical name -> value) into `out`, whose index `offset` is `start`."""
        for spec in self.fields:
            value = values.get(spec.field)
            words = self._encode(spec, value)
            pos = offset + spec.address - self.start
            out[pos : pos + len(words)] = words

    def render_garbage(self, out: list[int], offset: int) -> None:
        """NaN/inf in float fields, the type's extreme in integer fields."""
        for i, spec in enumerate(self.fields):
            if is_float(spec.type):
                words = encode(GARBAGE_FLOATS[i % 3], spec.type, spec.byte_order)
            else:
                words = encode(garbage_int(spec), spec.type, spec.byte_order)
            pos = offset + spec.address - self.start
            out[pos : pos + len(words)] = words

    def _encode(self, spec: ProfileField, value: float | None) -> list[int]:
        sf = self.sf.get(spec.scale_register) if spec.scale_register is not None else None
        if value is None or not math.isfinite(value):
            if spec.missing_value is not None:
                return encode_missing(spec)
            return [0] * spec.width
        try:
            return encode_field(spec, value, sf)
        except FieldRangeError:
            # a value too large for the register pins at the register's limit, as devices do
            low, high = int_range(spec.type)
            factor = spec.scale * (10.0**sf if sf is not None else 1.0)
            raw = low if (value - spec.offset) / factor < 0 else high
            if raw == spec.missing_value:  # pinned, not "not implemented"
                raw = raw + 1 if raw == low else raw - 1
            return encode(raw, spec.type, spec.byte_order)


def garbage_int(spec: ProfileField) -> int:
    """Signed types: the most negative value; unsigned: the largest (never the missing marker)."""
    low, high = int_range(spec.type)
    raw = low if low < 0 else high
    if raw == spec.missing_value:
        raw = raw + 1 if low < 0 else raw - 1
    return raw


def build_images(profile: Profile) -> dict[Table, TableImage]:
    images: dict[Table, TableImage] = {}
    spans = [(f.table, f.address, f.end) for f in profile.fields] + [
        (c.table, c.address, c.end) for c in profile.constants
    ]
    for table in Table:
        mine = [(a, e) for t, a, e in spans if t == table]
        if not mine:
            continue
        start = min(a for a, _ in mine)
        end = max(e for _, e in mine)
        images[table] = TableImage(table, start, end - start)
    for spec in profile.fields:
        images[spec.table].fields.append(spec)
    for const in profile.constants:
        image = images[const.table]
        raw = const.value if is_float(const.type) else round(const.value)
        image.constants[const.address] = encode(raw, const.type, const.byte_order)
        if const.width == 1 and not is_float(const.type):
            image.sf[const.address] = int(raw)
    return images
