"""KMA ASOS daily data (종관기상관측 일자료, 기상자료개방포털 CSV) into observed weather days.

Read by header name, so extra columns and their order do not matter:
`지점` (station number), `일시` (KST day, YYYY-MM-DD), `평균기온(°C)`,
`최저기온(°C)`, `최고기온(°C)` (`℃` and spaces in the names are tolerated).
The portal writes CP949; UTF-8 (with or without BOM) is read too. An empty
cell is a missing figure. A bad row is refused with its line and column and
the other rows are kept; a missing column or an unreadable file refuses the
whole file (importers.errors.Refused).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from importers.errors import Refused
from telemetry.db.weather import WeatherDay

STATION, DAY = "지점", "일시"
TEMPERATURES = {"mean_c": "평균기온(°C)", "min_c": "최저기온(°C)", "max_c": "최고기온(°C)"}
ENCODINGS = ("utf-8-sig", "cp949")  # UTF-8 first: CP949 text is almost never valid UTF-8
PLAUSIBLE_C = (-60.0, 60.0)


class RowRefused(ValueError):
    def __init__(self, column: str, why: str) -> None:
        self.column, self.why = column, why
        super().__init__(f"{column}: {why}")


@dataclass(frozen=True, slots=True)
class Refusal:
    line: int
    column: str
    why: str

    def describe(self, path: Path | str) -> str:
        return f"{Path(path).name}:{self.line}: {self.column}: {self.why}"


@dataclass
class AsosFile:
    encoding: str
    days: list[WeatherDay] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)


def read_asos(path: Path, station: int, max_bytes: int) -> AsosFile:
    """The days of `station` in the file, and the rows refused (line: column: why)."""
    encoding, text = _decode(path, max_bytes)
    result = AsosFile(encoding)
    lines: dict[dt.date, tuple[int, WeatherDay]] = {}
    clashed: set[dt.date] = set()
    for line, row in _rows(path, text):
        try:
            day = _day(row, station)
        except RowRefused as exc:
            result.refused.append(Refusal(line, exc.column, exc.why))
            continue
        seen = lines.get(day.day)
        if seen is None:
            lines[day.day] = (line, day)
        elif seen[1] != day:
            why = f"{day.day} is also on line {seen[0]} with other values: neither is stored"
            result.refused.append(Refusal(line, DAY, why))
            clashed.add(day.day)
    result.days = [d for _, d in sorted(lines.values()) if d.day not in clashed]
    result.refused.sort(key=lambda r: r.line)
    return result


def _decode(path: Path, max_bytes: int) -> tuple[str, str]:
    size = path.stat().st_size
    if size > max_bytes:
        raise Refused(path, f"file is {size:,} bytes, more than the limit of {max_bytes:,}")
    raw = path.read_bytes()
    for encoding in ENCODINGS:
        try:
            return encoding.removesuffix("-sig"), raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Refused(path, "neither CP949 nor UTF-8 text: save the file as CP949 or UTF-8")


def _name(header: str) -> str:
    return header.replace("℃", "°C").replace(" ", "").strip()


def _rows(path: Path, text: str) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [_name(h) for h in next(reader, [])]
    missing = [c for c in (STATION, DAY, *TEMPERATURES.values()) if c not in header]
    if missing:
        raise Refused(path, f"header: no column {', '.join(missing)}", 1)
    found = False
    for values in reader:
        if not any(v.strip() for v in values):
            continue  # blank line
        found = True
        if len(values) != len(header):
            why = f"expected {len(header)} columns, found {len(values)}"
            yield reader.line_num, {"": why}
            continue
        yield reader.line_num, {h: v.strip() for h, v in zip(header, values, strict=True)}
    if not found:
        raise Refused(path, "no data rows")


def _day(row: dict[str, str], station: int) -> WeatherDay:
    if "" in row:
        raise RowRefused("row", row[""])
    try:
        number = int(row[STATION])
    except ValueError:
        raise RowRefused(STATION, f"expected a station number, got {row[STATION]!r}") from None
    if number != station:
        raise RowRefused(STATION, f"station {number}, not the station imported ({station})")
    try:
        day = dt.date.fromisoformat(row[DAY])
    except ValueError:
        raise RowRefused(DAY, f"expected a date YYYY-MM-DD, got {row[DAY]!r}") from None
    temps = {key: _temperature(column, row[column]) for key, column in TEMPERATURES.items()}
    return WeatherDay(station, day, **temps)


def _temperature(column: str, text: str) -> float | None:
    if not text:
        return None  # not observed that day
    try:
        value = float(text)
    except ValueError:
        raise RowRefused(column, f"expected a number, got {text!r}") from None
    low, high = PLAUSIBLE_C
    if not (low <= value <= high):  # NaN is outside too
        raise RowRefused(column, f"{text} °C is outside {low:g} … {high:g} °C")
    return value
