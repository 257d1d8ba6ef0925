"""Public figures: the unit's decimals, at least three significant digits, no float noise."""

from __future__ import annotations

import math

import pytest

from stores.figures import LiveFigure, SelfSufficiency, SeriesPoint
from telemetry.rounding import UNIT_DECIMALS, round_figure


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (1536.4028515625, "kW", 1536.4),
        (48213.700000000004, "kWh", 48213.7),
        (72.35000000000001, "m3", 72.35),
        (0.0123456, "kW", 0.0123),  # small: three significant digits, not 0.01
        (-0.000987654, "m3/h", -0.000988),
        (0.11734, "ratio", 0.117),
        (-12.3456, "%", -12.3),
        (1234.5678, "kg", 1234.57),
        (0.0, "kWh", 0.0),
        (None, "kWh", None),
    ],
)
def test_round_figure(value: float | None, unit: str, expected: float | None) -> None:
    assert round_figure(value, unit) == expected


def test_non_finite_passes_through() -> None:
    assert math.isnan(round_figure(math.nan, "kW"))  # type: ignore[arg-type]


def test_amounts_round_alike_whatever_their_unit() -> None:
    """A series point has no unit of its own: kWh and m³ must round the same."""
    assert UNIT_DECIMALS["kWh"] == UNIT_DECIMALS["m3"]
    assert UNIT_DECIMALS["kW"] == UNIT_DECIMALS["m3/h"]


def test_api_json_is_rounded_and_python_values_stay_exact() -> None:
    live = LiveFigure(utility="electricity", unit="kW", status="ok", rate=1536.4028515625)
    assert '"rate":1536.4' in live.model_dump_json()
    assert live.model_dump()["rate"] == 1536.4028515625  # arithmetic keeps every digit
    share = SelfSufficiency(status="ok", solar_kw=610.23456, electricity_kw=5230.0, ratio=0.1166789)
    assert '"solar_kw":610.23' in share.model_dump_json()
    assert '"ratio":0.117' in share.model_dump_json()
    point = SeriesPoint(
        status="ok", start="s", end="e", consumption=48213.700000000004, co2e_kg=1.23456
    )
    assert '"consumption":48213.7,"co2e_kg":1.23' in point.model_dump_json()
