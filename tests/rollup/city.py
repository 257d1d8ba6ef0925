"""A small test city: raw readings written exactly as the collector writes them.

Raw format (telemetry.influx_schema): measurement = utility; tags site, meter,
district, dong, building_type, quality; float fields; ms timestamps.

Layout (k = 5):
- 6 industrial sites in 광산구 하남동 (29200 / 2920064000): one electricity
  meter each, site ind-1 also a solar inverter; ind-2's meter is replaced
  (counter restarts from 0) in the middle of the window; ind-3..6 each
  return bogus reads (glitches, a spike) that are no consumption.
- 1 apartment complex (840 households) in 서구 풍암동 (29140 / 2914083000):
  two electricity meters and a solar inverter.
- 3 households (1 each) in 북구 문흥1동 (29170 / 2917065600): one
  electricity meter each -> every group of theirs except the city is below k.
- 5 schools in 남구 양림동 (29155 / 2915551000), one electricity meter each:
  at k on their own, but city - other districts would give the 3 households,
  so complementary suppression withholds them (the smallest sibling).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from itertools import count
from pathlib import Path

from influxdb_client import InfluxDBClient, Point, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS

from collector.arrivals import Handed, Span, markers
from telemetry.fields import CONSUMPTION_FIELD, RATE_FIELD, Utility
from telemetry.influx_schema import (
    handed_bucket,
    imported_bucket,
    kept_as_handed,
    kept_as_imported,
)

MINUTE = 60_000
HOUR = 3_600_000

SUPPRESSED_DISTRICT = "29170"
SUPPRESSED_DONG = "2917065600"
INDUSTRIAL_DONG = ("29200", "2920064000")
APARTMENT_DONG = ("29140", "2914083000")
HOUSEHOLDS = ("hh-1", "hh-2", "hh-3")
SCHOOLS = tuple(f"sch-{i}" for i in range(1, 6))
SCHOOL_DONG = ("29155", "2915551000")


@dataclass(frozen=True)
class MeterSpec:
    site: str
    meter: str
    utility: str
    district: str
    dong: str
    building_type: str
    rate: float  # kW, constant
    base: float  # counter at the first reading
    replaced_at: int | None = None  # minute index where a new meter starts from 0
    bogus: tuple[tuple[int, float], ...] = ()  # (minute index, value read instead of the counter)


def _site_yaml(site: str, kind: str, district: str, dong: str, bt: str, hh: int | None) -> str:
    households = f"\n    households: {hh}" if hh is not None else ""
    return (
        f"  - id: {site}\n    name_ko: {site}\n    name_en: {site}\n    kind: {kind}\n"
        f'    district: "{district}"\n    dong: "{dong}"\n    building_type: {bt}{households}\n'
        f"    agents:\n      - id: {site}-gw\n"
    )


def sites_yaml() -> str:
    parts = ["sites:\n"]
    for i in range(1, 7):
        parts.append(
            _site_yaml(f"ind-{i}", "industrial_complex", *INDUSTRIAL_DONG, "industrial", None)
        )
    parts.append(_site_yaml("apt", "apartment_complex", *APARTMENT_DONG, "apartment", 840))
    for site in HOUSEHOLDS:
        parts.append(
            _site_yaml(site, "household", SUPPRESSED_DISTRICT, SUPPRESSED_DONG, "detached_house", 1)
        )
    for site in SCHOOLS:
        parts.append(_site_yaml(site, "public_building", *SCHOOL_DONG, "education", None))
    return "".join(parts)


# The apartment complex's units (config/units/ format): 동 101-102, 201-202, 301, 호 1 to 60,
# so the board's tests give codes to "101-1", "201-2" ... (each unit's household first moves
# in: tests/support/tenancy.py).
APT_UNITS = [f"{dong}-{ho}" for dong in (101, 102, 201, 202, 301) for ho in range(1, 61)]


def write_sites(directory: Path) -> Path:
    from telemetry.registry.units import UnitKind, units_yaml

    path = directory / "sites.yaml"
    path.write_text("units: units\n" + sites_yaml(), encoding="utf-8")
    (directory / "units").mkdir(exist_ok=True)
    (directory / "units" / "apt.yaml").write_text(
        units_yaml("apt", UnitKind.APARTMENT, APT_UNITS, "tests/rollup/city.py"), encoding="utf-8"
    )
    return path


# Bad reads that still pass the edge's plausible range (marked good): a high
# read the meter could have reached (given away by the return), a 0 mid-hour,
# a garbage-high value, a 0 as the first reading of an hour, two 0s in a row.
BOGUS = {
    1: ((110, 52_000.0),),
    3: ((80, 0.0),),
    4: ((70, 42_949_672.95),),
    5: ((60, 0.0),),
    6: ((100, 0.0), (101, 0.0)),
}


def meters() -> list[MeterSpec]:
    out = []
    for i in range(1, 7):
        out.append(
            MeterSpec(
                f"ind-{i}",
                "main-elec",
                "electricity",
                *INDUSTRIAL_DONG,
                "industrial",
                rate=100.0 + 10 * i,
                base=50_000.0 + 1000 * i,
                replaced_at=95 if i == 2 else None,
                bogus=BOGUS.get(i, ()),
            )
        )
    out.append(
        MeterSpec("ind-1", "pv-roof", "solar", *INDUSTRIAL_DONG, "industrial", 30.0, 9_000.0)
    )
    out.append(
        MeterSpec("apt", "blk101-elec", "electricity", *APARTMENT_DONG, "apartment", 40.0, 7_000.0)
    )
    out.append(
        MeterSpec("apt", "blk102-elec", "electricity", *APARTMENT_DONG, "apartment", 35.0, 8_000.0)
    )
    out.append(MeterSpec("apt", "pv-roof", "solar", *APARTMENT_DONG, "apartment", 12.0, 3_000.0))
    for n, site in enumerate(HOUSEHOLDS, start=1):
        out.append(
            MeterSpec(
                site,
                "elec",
                "electricity",
                SUPPRESSED_DISTRICT,
                SUPPRESSED_DONG,
                "detached_house",
                rate=0.5 * n,
                base=1_000.0 * n,
            )
        )
    for n, site in enumerate(SCHOOLS, start=1):
        out.append(
            MeterSpec(
                site,
                "elec",
                "electricity",
                *SCHOOL_DONG,
                "education",
                rate=20.0 + n,
                base=2_000.0 * n,
            )
        )
    return out


def counter_at(spec: MeterSpec, index: int) -> float:
    """The counter at minute `index`: base + rate per minute; after replacement, from 0.

    The new meter starts counting at the old one's last reading, so the true
    consumption between any two consecutive readings is rate/60 kWh.
    """
    step = spec.rate / 60.0
    if spec.replaced_at is not None and index >= spec.replaced_at:
        return step * (index - spec.replaced_at + 1)
    return spec.base + step * index


def readings(start_ms: int, minutes: int) -> list[Point]:
    """One reading per meter per minute from start_ms, plus a few `bad` ones to ignore."""
    points = []
    for spec in meters():
        bogus = dict(spec.bogus)
        for i in range(minutes):
            value = bogus.get(i, counter_at(spec, i))
            points.append(point(spec, start_ms + i * MINUTE, value, spec.rate, "good"))
        # A garbage reading marked bad by the edge: must change nothing.
        points.append(point(spec, start_ms + 30 * MINUTE + 7_000, 9e11, 99_999.0, "bad"))
    return points


def point(spec: MeterSpec, ts: int, counter: float, rate: float, quality: str) -> Point:
    return (
        Point(spec.utility)
        .tag("site", spec.site)
        .tag("meter", spec.meter)
        .tag("district", spec.district)
        .tag("dong", spec.dong)
        .tag("building_type", spec.building_type)
        .tag("quality", quality)
        .field("energy_kwh", float(counter))
        .field("power_kw", float(rate))
        .field("voltage_v", 230.0)
        .time(ts, write_precision=WritePrecision.MS)
    )


def write_points(url: str, db: str, points: list[Point]) -> None:
    with InfluxDBClient(url=url, token="", org="gwangju") as client:
        api = client.write_api(write_options=SYNCHRONOUS)
        for i in range(0, len(points), 5000):
            api.write(bucket=db, record=points[i : i + 5000], write_precision=WritePrecision.MS)


_SITE = re.compile(r",site=([^, ]+)")
_STAMPS = count()


def site_and_ts(p: Point) -> tuple[str, int]:
    text = p.to_line_protocol()
    found = _SITE.search(text)
    assert found is not None, text
    return found.group(1), int(text.rsplit(" ", 1)[1])


_TAG = re.compile(r",(meter|quality)=([^, ]+)")
_FIELD = re.compile(r"([a-z0-9_]+)=([-+0-9.eE]+)")


def handed(p: Point) -> Handed | None:
    """What the collector hands the rollup for a stored point: a good reading's
    (utility, meter, time, counter, rate); None for a bad one."""
    text = p.to_line_protocol()
    head, values, ts = text.rsplit(" ", 2)
    tags = dict(_TAG.findall(head))
    if tags.get("quality") == "bad":
        return None
    utility = Utility(head.split(",", 1)[0])
    fields = {k: float(v) for k, v in _FIELD.findall(values)}
    counter, rate = fields.get(CONSUMPTION_FIELD[utility]), fields.get(RATE_FIELD[utility])
    return (utility.value, tags["meter"], int(ts), counter, rate)


def arrival_markers(
    points: list[Point], arrived_ms: int | None, hand_over: bool = True
) -> list[str]:
    """The markers a collector writes once `points` are stored: one per site and
    batch, stamped with the arrival time (ns). `arrived_ms` None: each minute's
    readings arrived on time, a second after they were read (one batch per minute).
    `hand_over`: the markers carry the good readings, as the collector's do."""
    batches: dict[tuple[int, str], Span] = {}
    for p in points:
        site, ts = site_and_ts(p)
        at = arrived_ms if arrived_ms is not None else ts - ts % MINUTE + 1000
        span = batches.setdefault((at, site), Span(ts, ts, 0, [] if hand_over else None))
        span.add(ts)
        reading = handed(p) if span.handed is not None else None
        if reading is not None and span.handed is not None:
            span.handed.append(reading)
    return [
        x
        for (at, site), span in sorted(batches.items())
        for x in markers("test", site, span, at * 1_000_000 + next(_STAMPS) % 1_000_000)
    ]


def write_arrived(
    url: str, db: str, points: list[Point], arrived_ms: int | None = None, hand_over: bool = True
) -> None:
    """Write readings as the collector does: the readings, then their arrival markers
    (stamped `arrived_ms`, default now; see `arrival_markers`)."""
    write_points(url, db, points)
    now = int(time.time() * 1000) if arrived_ms is None else arrived_ms
    lines = arrival_markers(points, now, hand_over)
    write_lines(url, db, lines, WritePrecision.NS)


def write_on_time(url: str, db: str, points: list[Point], hand_over: bool = True) -> None:
    """Write readings with markers as if each minute had arrived a second after it."""
    write_points(url, db, points)
    write_lines(url, db, arrival_markers(points, None, hand_over), WritePrecision.NS)


def write_lines(url: str, db: str, lines: list[str], precision: str) -> None:
    """Write `lines` as the collector does: imported history and handed readings to
    their own policies (handed readings first, before the markers that name them)."""
    imported = [ln for ln in lines if kept_as_imported(ln)]
    handed_lines = [ln for ln in lines if kept_as_handed(ln)]
    rest = [ln for ln in lines if not kept_as_imported(ln) and not kept_as_handed(ln)]
    with InfluxDBClient(url=url, token="", org="gwangju") as client:
        api = client.write_api(write_options=SYNCHRONOUS)
        parts = ((handed_bucket(db), handed_lines), (db, rest), (imported_bucket(db), imported))
        for bucket, part in parts:
            for i in range(0, len(part), 5000):
                chunk = "\n".join(part[i : i + 5000])
                api.write(bucket=bucket, record=chunk, write_precision=precision)
