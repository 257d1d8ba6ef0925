"""Meter profiles: how a device's registers map onto canonical fields."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from telemetry.codec import ByteOrder, RegisterType, register_count
from telemetry.config.strict import FrozenStrictModel
from telemetry.fields import FieldKind, Utility
from telemetry.ids import Identifier

MODBUS_MAX_REGISTERS = 125  # per read request, Modbus spec


class Table(StrEnum):
    HOLDING = "holding"  # function 03
    INPUT = "input"  # function 04


class RegisterSpan(FrozenStrictModel):
    """Where a value sits: table, zero-based address, type and byte order."""

    table: Table = Table.HOLDING
    address: int = Field(ge=0, le=65535, description="zero-based register address")
    type: RegisterType
    byte_order: ByteOrder = ByteOrder.ABCD
    count: int | None = Field(
        default=None, ge=1, le=4, description="registers the value spans (checked against type)"
    )

    @property
    def width(self) -> int:
        return register_count(self.type)

    @property
    def end(self) -> int:
        """One past the last register."""
        return self.address + self.width


class ProfileField(RegisterSpan):
    """One canonical field read from the device.

    value = raw * scale * 10**(scale register) + offset
    """

    field: str = Field(description="canonical field name (telemetry.fields)")
    scale: float = 1.0
    offset: float = 0.0
    scale_register: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="address (same table) of a signed int16 power of ten, as SunSpec *_SF",
    )
    missing_value: int | None = Field(
        default=None, description="raw value meaning 'not implemented' (SunSpec 0x8000, 0xFFFF)"
    )
    kind: FieldKind | None = Field(default=None, description="counter or gauge")
    description: str | None = None


class ProfileConstant(RegisterSpan):
    """A register a device always holds (a model id, a marker, a scale factor)."""

    name: str
    value: float


class Profile(FrozenStrictModel):
    id: Identifier
    description: str
    manufacturer: str | None = None
    model: str | None = None
    utility: Utility
    max_registers_per_request: int = Field(default=MODBUS_MAX_REGISTERS, ge=1, le=125)
    max_gap: int = Field(
        default=8, ge=0, le=124, description="unused registers a coalesced read may span"
    )
    fields: list[ProfileField] = Field(min_length=1)
    constants: list[ProfileConstant] = Field(default_factory=list)

    def field_named(self, name: str) -> ProfileField | None:
        return next((f for f in self.fields if f.field == name), None)
