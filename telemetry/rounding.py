"""Figures as people read them: one rounding rule for the API, open data and boards.

A public figure keeps the decimals of its unit (two for kWh, m³, kW, m³/h and
kg CO2e: 10 Wh, 10 litres, 10 W; three for a ratio; one for a percentage) and
at least three significant digits when it is smaller than that resolution
shows (0.0123 kW stays 0.0123, not 0.01). Decoded meter values are not rounded
here: they keep the resolution of their registers (telemetry/field_codec.py).
"""

from __future__ import annotations

import math

UNIT_DECIMALS: dict[str, int] = {
    "kWh": 2,
    "m3": 2,
    "kW": 2,
    "m3/h": 2,
    "kg": 2,
    "ratio": 3,
    "%": 1,
}
# Consumption is in kWh or m³ by utility; both round alike, so a figure that
# does not carry its unit (a series point) rounds as an amount.
AMOUNT = "kWh"
MIN_SIGNIFICANT = 3
_MAX_DECIMALS = 12  # past this a double has nothing left to say


def round_figure(value: float | None, unit: str) -> float | None:
    """`value` rounded for `unit` (UNIT_DECIMALS); None and non-finite pass through."""
    if value is None or not math.isfinite(value):
        return value
    decimals = UNIT_DECIMALS[unit]
    if value != 0:
        decimals = max(decimals, MIN_SIGNIFICANT - 1 - math.floor(math.log10(abs(value))))
    return round(value, min(decimals, _MAX_DECIMALS))
