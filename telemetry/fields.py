"""Canonical utilities, field names, units and plausible ranges.

Every device register is turned into one of these names at the edge, so every
query and dashboard reads the same names whatever meter is installed. The
`utility` of a reading is also its InfluxDB measurement.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Utility(StrEnum):
    ELECTRICITY = "electricity"
    GAS = "gas"
    WATER = "water"
    HEAT = "heat"
    SOLAR = "solar"


class FieldKind(StrEnum):
    COUNTER = "counter"  # cumulative, only goes up (consumption = difference)
    GAUGE = "gauge"  # instantaneous


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    unit: str
    kind: FieldKind
    low: float  # plausible range: outside it a value is marked `bad` at the edge
    high: float
    description: str


def _counter(name: str, unit: str, description: str, high: float = 1e12) -> FieldSpec:
    return FieldSpec(name, unit, FieldKind.COUNTER, 0.0, high, description)


def _gauge(name: str, unit: str, low: float, high: float, description: str) -> FieldSpec:
    return FieldSpec(name, unit, FieldKind.GAUGE, low, high, description)


_ELECTRIC_EXTRAS = (
    _gauge("voltage_v", "V", 0, 1_000, "mean phase voltage L-N"),
    _gauge("voltage_l1_v", "V", 0, 1_000, "phase 1 voltage L-N"),
    _gauge("voltage_l2_v", "V", 0, 1_000, "phase 2 voltage L-N"),
    _gauge("voltage_l3_v", "V", 0, 1_000, "phase 3 voltage L-N"),
    _gauge("current_a", "A", 0, 100_000, "total current"),
    _gauge("current_l1_a", "A", 0, 100_000, "phase 1 current"),
    _gauge("current_l2_a", "A", 0, 100_000, "phase 2 current"),
    _gauge("current_l3_a", "A", 0, 100_000, "phase 3 current"),
    _gauge("power_l1_kw", "kW", -100_000, 100_000, "phase 1 active power"),
    _gauge("power_l2_kw", "kW", -100_000, 100_000, "phase 2 active power"),
    _gauge("power_l3_kw", "kW", -100_000, 100_000, "phase 3 active power"),
    _gauge("power_factor", "", -1, 1, "total power factor"),
    _gauge("frequency_hz", "Hz", 40, 70, "grid frequency"),
)

FIELDS: dict[Utility, dict[str, FieldSpec]] = {
    Utility.ELECTRICITY: {
        f.name: f
        for f in (
            _counter("energy_kwh", "kWh", "imported active energy"),
            _counter("energy_export_kwh", "kWh", "exported active energy"),
            _gauge("power_kw", "kW", -100_000, 100_000, "total active power (import > 0)"),
            *_ELECTRIC_EXTRAS,
        )
    },
    Utility.GAS: {
        f.name: f
        for f in (
            _counter("volume_m3", "m³", "gas volume"),
            _gauge("flow_m3h", "m³/h", 0, 100_000, "gas flow"),
        )
    },
    Utility.WATER: {
        f.name: f
        for f in (
            _counter("volume_m3", "m³", "water volume"),
            _gauge("flow_m3h", "m³/h", 0, 100_000, "water flow"),
        )
    },
    Utility.HEAT: {
        f.name: f
        for f in (
            _counter("energy_kwh", "kWh", "delivered heat energy"),
            _gauge("power_kw", "kW", 0, 1_000_000, "heat power"),
            _counter("volume_m3", "m³", "heating water volume"),
            _gauge("flow_m3h", "m³/h", 0, 100_000, "heating water flow"),
            _gauge("supply_temp_c", "°C", -40, 200, "supply (flow) temperature"),
            _gauge("return_temp_c", "°C", -40, 200, "return temperature"),
        )
    },
    Utility.SOLAR: {
        f.name: f
        for f in (
            _counter("energy_kwh", "kWh", "generated energy (lifetime)"),
            _gauge("power_kw", "kW", -1_000, 100_000, "AC output power"),
            *_ELECTRIC_EXTRAS,
        )
    },
}

# The counter whose difference is a utility's consumption (or generation).
CONSUMPTION_FIELD: dict[Utility, str] = {
    Utility.ELECTRICITY: "energy_kwh",
    Utility.GAS: "volume_m3",
    Utility.WATER: "volume_m3",
    Utility.HEAT: "energy_kwh",
    Utility.SOLAR: "energy_kwh",
}

# The gauge that says how much is used (or generated) right now.
RATE_FIELD: dict[Utility, str] = {
    Utility.ELECTRICITY: "power_kw",
    Utility.GAS: "flow_m3h",
    Utility.WATER: "flow_m3h",
    Utility.HEAT: "power_kw",
    Utility.SOLAR: "power_kw",
}


def field_spec(utility: Utility | str, name: str) -> FieldSpec | None:
    """The spec of `name` for `utility`, or None when it is not canonical."""
    return FIELDS.get(Utility(utility), {}).get(name)


def is_plausible(utility: Utility | str, name: str, value: float) -> bool:
    spec = field_spec(utility, name)
    return spec is not None and spec.low <= value <= spec.high
