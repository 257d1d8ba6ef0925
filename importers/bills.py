"""Monthly bills CSV (the template in importers/README.md) into interval readings.

Columns: household, utility, period_start, period_end, quantity, unit. The
billing period runs from period_start to period_end inclusive, as printed on
a bill, in Korean days (KST). Quantities are converted into the utility's
canonical field: 1 Gcal = 1,163 kWh, 1 MJ = 1/3.6 kWh. The meter is
`<household>-<utility>-bill`, kept apart from any metered or Green Button
meter of the household, so a bill never overwrites finer data.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from pydantic import ValidationError

from importers.csvfile import parse_amount, parse_date, rows
from importers.errors import Refused
from importers.kst import day_start
from importers.spans import Period, plausible_period, refuse_overlaps
from telemetry.fields import Utility
from telemetry.ids import is_valid_id
from telemetry.readings_v2 import Interval, IntervalReading

HEADER = ("household", "utility", "period_start", "period_end", "quantity", "unit")
# kWh per unit, as decimals so that a bill's figure converts with one rounding.
KWH_PER = {"kWh": Decimal(1), "Gcal": Decimal(1163), "MJ": 1 / Decimal("3.6")}
# utility -> unit -> (field, canonical units per unit)
UNITS: dict[Utility, dict[str, tuple[str, Decimal]]] = {
    Utility.ELECTRICITY: {
        "kWh": ("energy_kwh", KWH_PER["kWh"]),
        "MJ": ("energy_kwh", KWH_PER["MJ"]),
    },
    Utility.HEAT: {u: ("energy_kwh", f) for u, f in KWH_PER.items()},
    Utility.GAS: {"m³": ("volume_m3", Decimal(1)), "m3": ("volume_m3", Decimal(1))},
    Utility.WATER: {"m³": ("volume_m3", Decimal(1)), "m3": ("volume_m3", Decimal(1))},
}


def read_bills(path: Path, max_bytes: int) -> list[IntervalReading]:
    readings: list[IntervalReading] = []
    periods: list[Period] = []
    for line, row in rows(path, HEADER, max_bytes):
        reading = _row(path, line, row)
        field = next(iter(reading.values))
        where = f"row {row['household']},{row['utility']}"
        i = reading.interval
        periods.append(Period((reading.meter, field), i.start, i.end, line, where))
        readings.append(reading)
    refuse_overlaps(path, periods)
    return readings


def _row(path: Path, line: int, row: dict[str, str]) -> IntervalReading:
    try:
        utility = Utility(row["utility"])
    except ValueError:
        raise Refused(
            path, f"utility: {row['utility']!r} is not one of {', '.join(UNITS)}", line
        ) from None
    if utility not in UNITS:
        raise Refused(path, f"utility: {utility.value} bills are not imported", line)
    meter = f"{row['household']}-{utility.value}-bill"
    if not is_valid_id(row["household"]) or not is_valid_id(meter):
        raise Refused(
            path,
            f"household: {row['household']!r} must be lowercase letters, digits, '.', '_', '-' "
            f"(at most {64 - len(utility.value) - 6} characters)",
            line,
        )
    unit = UNITS[utility].get(row["unit"])
    if unit is None:
        raise Refused(
            path,
            f"unit: {row['unit']!r} is not a unit of {utility.value} ({', '.join(UNITS[utility])})",
            line,
        )
    start = day_start(parse_date(path, line, "period_start", row["period_start"]))
    end = day_start(parse_date(path, line, "period_end", row["period_end"]) + timedelta(days=1))
    problem = plausible_period(start, end)
    if problem:
        raise Refused(path, f"period_start..period_end: {problem}", line)
    parse_amount(path, line, "quantity", row["quantity"])  # refuses what is not a number >= 0
    amount = float(Decimal(row["quantity"]) * unit[1])
    try:
        return IntervalReading(
            meter=meter,
            utility=utility,
            interval=Interval(start=start, end=end),
            values={unit[0]: amount},
        )
    except ValidationError as exc:
        raise Refused(path, str(exc.errors(include_url=False)[0]["msg"]), line) from None
