"""Monthly bills CSV (the template in importers/README.md) into interval readings.

Columns: household, utility, period_start, period_end, quantity, unit. The
billing period runs from period_start to period_end inclusive, as printed on
a bill, in Korean days (KST). Quantities are converted into the utility's
canonical field: 1 Gcal = 1,163 kWh, 1 MJ = 1/3.6 kWh. The meter is
`<household>-<utility>-bill`, kept apart from any metered or Green Button
meter of the household, so a bill never overwrites finer data.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
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


def read_bills(path: Path, max_bytes: int) -> BillReadings:
    """The file's readings, every row checked first (all or nothing)."""
    readings = BillReadings(path, max_bytes)
    readings.check()
    return readings


Series = tuple[str, str]  # meter, field


class BillReadings(Sequence[IntervalReading]):
    """A checked bills file, its readings built again as they are iterated: a 50 MB export
    (a million rows) is never held in memory, only each series' periods while checking."""

    def __init__(self, path: Path, max_bytes: int) -> None:
        self.path, self.max_bytes = path, max_bytes
        self._len: int | None = None
        self._stamp: tuple[int, int] | None = None

    def check(self) -> None:
        """Every row, then no two periods of one series overlapping."""
        self._stamp = _stamp(self.path)
        periods: dict[Series, tuple[array[int], array[int], array[int]]] = {}
        where: dict[Series, str] = {}
        n = 0
        for line, row in rows(self.path, HEADER, self.max_bytes):
            reading = _row(self.path, line, row)
            key = (reading.meter, next(iter(reading.values)))
            if key not in periods:
                periods[key] = (array("q"), array("q"), array("q"))
                where[key] = f"row {row['household']},{row['utility']}"
            starts, ends, lines = periods[key]
            starts.append(int(reading.interval.start.timestamp()))
            ends.append(int(reading.interval.end.timestamp()))
            lines.append(line)
            n += 1
        for key, (starts, ends, lines) in periods.items():
            _refuse_overlaps(self.path, key, where[key], starts, ends, lines)
        self._len = n

    def __len__(self) -> int:
        if self._len is None:
            self.check()
        return self._len or 0

    def __getitem__(self, index):  # type: ignore[no-untyped-def, override]
        return list(self)[index]  # not used on large files: publishing iterates

    def __iter__(self) -> Iterator[IntervalReading]:
        if self._stamp is not None and _stamp(self.path) != self._stamp:
            raise Refused(self.path, "the file changed after it was checked: import it again")
        for line, row in rows(self.path, HEADER, self.max_bytes):
            yield _row(self.path, line, row)


def _stamp(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def _refuse_overlaps(
    path: Path, key: Series, where: str, starts: array[int], ends: array[int], lines: array[int]
) -> None:
    order = sorted(range(len(starts)), key=lambda i: (starts[i], lines[i]))
    for a, b in pairwise(order):
        if starts[b] < ends[a]:
            refuse_overlaps(path, [_period(key, where, starts, ends, lines, i) for i in (a, b)])


def _period(
    key: Series, where: str, starts: array[int], ends: array[int], lines: array[int], i: int
) -> Period:
    start, end = (datetime.fromtimestamp(t, UTC) for t in (starts[i], ends[i]))
    return Period(key, start, end, lines[i], where)


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
