"""Apartment-complex monthly costs (K-apt style CSV) into cost readings.

Columns: complex_code, month (YYYY-MM), electricity_krw, heat_krw, gas_krw,
water_krw; an empty cost is "not reported" and left out. Costs are stored as
costs (`utility_cost`), never with quantities. The meter (cost account) is the
complex code in lowercase; the month is a Korean calendar month.
"""

from __future__ import annotations

import re
from pathlib import Path

from importers.csvfile import parse_amount, rows
from importers.errors import Refused
from importers.kst import month_period
from importers.spans import Period, plausible_period, refuse_overlaps
from telemetry.fields import Utility
from telemetry.ids import is_valid_id
from telemetry.readings_v2 import CostReading, Interval

COST_COLUMNS = {
    "electricity_krw": Utility.ELECTRICITY,
    "heat_krw": Utility.HEAT,
    "gas_krw": Utility.GAS,
    "water_krw": Utility.WATER,
}
HEADER = ("complex_code", "month", *COST_COLUMNS)
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def read_kapt(path: Path, max_bytes: int) -> list[CostReading]:
    readings: list[CostReading] = []
    periods: list[Period] = []
    for line, row in rows(path, HEADER, max_bytes):
        meter = row["complex_code"].lower()
        if not is_valid_id(meter):
            raise Refused(path, f"complex_code: {row['complex_code']!r} is not a valid code", line)
        m = _MONTH.match(row["month"])
        if m is None:
            raise Refused(path, f"month: expected YYYY-MM, got {row['month']!r}", line)
        start, end = month_period(int(m[1]), int(m[2]))
        problem = plausible_period(start, end)
        if problem:
            raise Refused(path, f"month: {problem}", line)
        for column, utility in COST_COLUMNS.items():
            if row[column] == "":
                continue
            cost = parse_amount(path, line, column, row[column])
            interval = Interval(start=start, end=end)
            readings.append(
                CostReading(meter=meter, utility=utility, interval=interval, cost_krw=cost)
            )
            periods.append(
                Period(
                    (meter, utility.value, "cost"),
                    start,
                    end,
                    line,
                    f"row {row['complex_code']},{row['month']}",
                )
            )
    if not readings:
        raise Refused(path, "no costs in the file")
    refuse_overlaps(path, periods)
    return readings
