"""The parsers alone: codes, units and links that the end-to-end files do not exercise."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from importers.bills import read_bills
from importers.errors import Refused
from importers.greenbutton import read_greenbutton
from importers.kapt import read_kapt
from telemetry.models import Reading
from telemetry.readings_v2 import IntervalReading

FILES = Path(__file__).parent / "files"
LIMIT = 1 << 20


def _variant(tmp_path: Path, old: str, new: str, source: str = "gb_direct.xml") -> Path:
    text = (FILES / source).read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "variant.xml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _refusal(path: Path) -> str:
    with pytest.raises(Refused) as info:
        read_greenbutton(path, "hh-t", LIMIT)
    return str(info.value)


def test_bulk_register_values_become_point_readings_at_each_interval_end(tmp_path: Path) -> None:
    path = _variant(
        tmp_path,
        "<accumulationBehaviour>4</accumulationBehaviour>",
        "<accumulationBehaviour>1</accumulationBehaviour>",
    )
    readings = read_greenbutton(path, "hh-t", LIMIT)
    points = [r for r in readings if isinstance(r, Reading)]
    assert [(p.ts, p.values) for p in points][:2] == [
        (datetime(2026, 10, 1, 1, tzinfo=UTC), {"energy_kwh": 0.45}),
        (datetime(2026, 10, 1, 2, tzinfo=UTC), {"energy_kwh": 0.43}),
    ]
    assert all(isinstance(r, IntervalReading) for r in readings if r not in points)


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ("<uom>72</uom>", "<uom>38</uom>", "uom 38 (W) is a rate"),
        ("<kind>1</kind></ServiceCategory>", "<kind>3</kind></ServiceCategory>", "service kind 3"),
        ("<flowDirection>1</flowDirection>", "<flowDirection>7</flowDirection>", "flowDirection 7"),
        (
            "<accumulationBehaviour>4</accumulationBehaviour>",
            "<accumulationBehaviour>9</accumulationBehaviour>",
            "accumulationBehaviour 9",
        ),
        (
            "<powerOfTenMultiplier>0</powerOfTenMultiplier>",
            "<powerOfTenMultiplier>x</powerOfTenMultiplier>",
            "expected an integer, got 'x'",
        ),
        ("<duration>3600</duration>", "<duration>0</duration>", "duration 0 is not positive"),
        (
            '<feed xmlns="http://www.w3.org/2005/Atom">',
            '<feed xmlns="http://www.w3.org/2005/Atom/x">',
            "root element must be an Atom <feed>",
        ),
        (
            "<start>1790812800</start></timePeriod>",
            "<start>1</start></timePeriod>",
            "before 2000-01-01",
        ),
        (
            "<start>1790812800</start></timePeriod>",
            "<start>4102444800</start></timePeriod>",
            "in the future",
        ),
    ],
)
def test_refusals_name_the_element_and_line(tmp_path: Path, old: str, new: str, says: str) -> None:
    message = _refusal(_variant(tmp_path, old, new))
    assert says in message
    assert "variant.xml:" in message and "<" in message


def test_reverse_flow_of_gas_is_refused(tmp_path: Path) -> None:
    # the gas ReadingType is the third in gb_direct.xml; make every flow reverse
    path = _variant(tmp_path, "<uom>42</uom>", "<uom>42</uom>")
    text = path.read_text(encoding="utf-8").replace(
        "<flowDirection>1</flowDirection>", "<flowDirection>19</flowDirection>"
    )
    path.write_text(text, encoding="utf-8")
    assert "only stored for electricity, not gas" in _refusal(path)


def test_a_meter_reading_no_usage_point_links_is_refused(tmp_path: Path) -> None:
    link = "https://utility.example/espi/1_1/resource/RetailCustomer/7/UsagePoint/2/MeterReading/1"
    path = _variant(tmp_path, f'<link rel="related" href="{link}"/>', "")
    assert "is linked from no UsagePoint" in _refusal(path)


def test_the_same_feed_in_both_layouts_reads_alike() -> None:
    direct = read_greenbutton(FILES / "gb_direct.xml", "hh", LIMIT)
    assert {r.meter for r in direct} == {"hh-electricity", "hh-gas", "hh-water"}
    cont = read_greenbutton(FILES / "gb_containerized.xml", "hh", LIMIT)
    assert {r.meter for r in cont} == {"hh-electricity", "hh-gas", "hh-water", "hh-heat"}


@pytest.mark.parametrize(
    ("row", "says"),
    [
        (
            "hh-1,electricity,2026-09-01,2026-09-30,12,Gcal",
            "unit: 'Gcal' is not a unit of electricity",
        ),
        ("hh-1,steam,2026-09-01,2026-09-30,12,kWh", "utility: 'steam'"),
        ("HH 1,gas,2026-09-01,2026-09-30,12,m³", "household: 'HH 1'"),
        ("hh-1,gas,2026-09-31,2026-10-30,12,m³", "period_start: expected a date"),
        ("hh-1,gas,2026-09-01,2026-08-30,12,m³", "does not end after it starts"),
        ("hh-1,gas,2026-01-01,2026-06-30,12,m³", "longer than 93 days"),
        ("hh-1,gas,2026-09-01,2026-09-30,1.2e,m³", "quantity: expected a number"),
        ("hh-1,gas,2026-09-01,2026-09-30", "expected 6 columns, found 4"),
    ],
)
def test_bill_rows_refused_with_their_line(tmp_path: Path, row: str, says: str) -> None:
    path = tmp_path / "bills.csv"
    good = "hh-1,water,2026-09-01,2026-09-30,3,m³"
    path.write_text(f"household,utility,period_start,period_end,quantity,unit\n{good}\n{row}\n")
    with pytest.raises(Refused) as info:
        read_bills(path, LIMIT)
    assert str(info.value).startswith(f"{path}:3: ")
    assert says in str(info.value)


def test_bills_header_must_be_the_template(tmp_path: Path) -> None:
    path = tmp_path / "bills.csv"
    path.write_text("household,utility,start,end,quantity,unit\n")
    with pytest.raises(Refused, match=r":1: header must be: household,utility,period_start"):
        read_bills(path, LIMIT)


def test_kapt_month_must_be_a_month(tmp_path: Path) -> None:
    path = tmp_path / "kapt.csv"
    header = "complex_code,month,electricity_krw,heat_krw,gas_krw,water_krw"
    path.write_text(f"{header}\nA1,2026-13,1,2,3,4\n")
    with pytest.raises(Refused, match=r":2: month: expected YYYY-MM, got '2026-13'"):
        read_kapt(path, LIMIT)


def _meters(readings: list[Reading | IntervalReading]) -> tuple[set[str], set[str]]:
    """(meters of the register's point readings, meters of the interval readings)"""
    points = {r.meter for r in readings if isinstance(r, Reading)}
    return points, {r.meter for r in readings if isinstance(r, IntervalReading)}


def test_a_usage_point_read_as_deltas_and_as_a_register_gets_two_meters() -> None:
    """Golden case gb_delta_and_register.xml: one electricity usage point, its hourly
    deltas and its register. The register is `<hh>-<utility>-reg`, so the two never share
    a series (nor a period: one file holds both)."""
    readings = read_greenbutton(FILES / "gb_delta_and_register.xml", "hh-t", LIMIT)
    assert _meters(readings) == ({"hh-t-electricity-reg"}, {"hh-t-electricity"})
    deltas = sorted((r.interval.start, r.values["energy_kwh"]) for r in readings
                    if isinstance(r, IntervalReading))  # fmt: skip
    registers = sorted((r.ts, r.values["energy_kwh"]) for r in readings if isinstance(r, Reading))
    assert deltas == [
        (datetime(2026, 10, 1, 0, tzinfo=UTC), 0.45),
        (datetime(2026, 10, 1, 1, tzinfo=UTC), 0.43),
        (datetime(2026, 10, 1, 2, tzinfo=UTC), 0.418),
    ]
    assert registers == [
        (datetime(2026, 10, 1, 1, tzinfo=UTC), 1000.45),
        (datetime(2026, 10, 1, 2, tzinfo=UTC), 1000.88),
        (datetime(2026, 10, 1, 3, tzinfo=UTC), 1001.298),
    ]


def _one_reading(tmp_path: Path, keep: int) -> Path:
    """gb_delta_and_register.xml with only its MeterReading `keep` (1: deltas, 2: register)."""
    drop = f"UsagePoint/1/MeterReading/{3 - keep}"
    text = (FILES / "gb_delta_and_register.xml").read_text(encoding="utf-8")
    entries = re.split(r"(?=  <entry>)|(?<=</entry>\n)", text)
    kept = [e for e in entries if drop not in e or "<UsagePoint " in e]
    out = "".join(kept)
    out = "\n".join(line for line in out.splitlines() if f'{drop}"' not in line) + "\n"
    path = tmp_path / f"reading_{keep}.xml"
    path.write_text(out, encoding="utf-8")
    return path


def test_the_same_usage_point_in_two_files_keeps_its_register_apart(tmp_path: Path) -> None:
    """Its deltas in one download and its register in another (each one usage point):
    without the `-reg` suffix both would be `hh-t-electricity`, one series."""
    deltas = read_greenbutton(_one_reading(tmp_path, 1), "hh-t", LIMIT)
    register = read_greenbutton(_one_reading(tmp_path, 2), "hh-t", LIMIT)
    assert _meters(deltas) == (set(), {"hh-t-electricity"})
    assert _meters(register) == ({"hh-t-electricity-reg"}, set())
