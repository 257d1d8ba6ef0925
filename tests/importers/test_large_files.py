"""Large files stream: memory follows a few integers per reading, not the file.

A Green Button download and a bills CSV of a few MB are checked and their
readings iterated (as publishing does) under tracemalloc; the peak of what
Python allocated stays about the file's size (the periods kept for the
overlap check, as integers). Parsed whole, as before (a DOM of every
IntervalReading, a list of every reading), files peaked at 20 to 40 times
their size: a 55 MB download at 1.2 GB resident, a 52 MB bills CSV at 2 GB
(now 142 MB and 122 MB; importers/README.md).
"""

from __future__ import annotations

import datetime as dt
import re
import tracemalloc
from collections.abc import Callable, Sized
from pathlib import Path

import pytest

from importers.bills import read_bills
from importers.greenbutton import read_greenbutton

pytestmark = pytest.mark.slow

GB_TEMPLATE = Path(__file__).parents[1] / "households" / "files" / "gb_register.xml"
LIMIT = 64 * 1024 * 1024
MAX_SHARE = 1.5  # peak allocated / file size


def _green_button(path: Path, n: int) -> Path:
    """n quarter-hour deltas of one usage point, from 2017 on."""
    start = int(dt.datetime(2017, 1, 1, tzinfo=dt.UTC).timestamp())
    rows = "".join(
        f"<IntervalReading><timePeriod><duration>900</duration><start>{start + i * 900}</start>"
        f"</timePeriod><value>{100 + i % 50}</value></IntervalReading>\n"
        for i in range(n)
    )
    block = (
        f'<IntervalBlock xmlns="http://naesb.org/espi">\n<interval><duration>{900 * n}'
        f"</duration><start>{start}</start></interval>\n{rows}</IntervalBlock>"
    )
    text = GB_TEMPLATE.read_text(encoding="utf-8")
    text = text.replace("<accumulationBehaviour>1<", "<accumulationBehaviour>4<")
    text = text.replace("<intervalLength>3600<", "<intervalLength>900<")
    path.write_text(re.sub(r"<IntervalBlock .*?</IntervalBlock>", lambda _m: block, text,
                           flags=re.S), encoding="utf-8")  # fmt: skip
    return path


def _bills(path: Path, households: int, months: int) -> Path:
    first = dt.date(2023, 1, 1)
    out = ["household,utility,period_start,period_end,quantity,unit\n"]
    for h in range(households):
        for m in range(months):
            k = first.month - 1 + m
            start = dt.date(first.year + k // 12, k % 12 + 1, 1)
            k += 1
            end = dt.date(first.year + k // 12, k % 12 + 1, 1) - dt.timedelta(days=1)
            out.append(f"hh-{h:06d},electricity,{start},{end},{100 + (h + m) % 300},kWh\n")
    path.write_text("".join(out), encoding="utf-8")
    return path


def _peak(read: Callable[[], Sized]) -> tuple[int, int]:
    """(peak bytes allocated while reading and iterating every reading, readings)."""
    tracemalloc.start()
    try:
        readings = read()
        count = sum(1 for _ in readings)  # type: ignore[attr-defined]
        assert count == len(readings)
        return tracemalloc.get_traced_memory()[1], count
    finally:
        tracemalloc.stop()


def test_a_green_button_download_is_read_in_memory_a_fraction_of_its_size(
    tmp_path: Path,
) -> None:
    path = _green_button(tmp_path / "gb.xml", 20_000)
    size = path.stat().st_size
    peak, count = _peak(lambda: read_greenbutton(path, "hh-big", LIMIT))
    assert count == 20_000
    assert peak < MAX_SHARE * size, f"peak {peak:,} B for a {size:,} B file"


def test_a_bills_export_is_read_in_memory_a_fraction_of_its_size(tmp_path: Path) -> None:
    path = _bills(tmp_path / "bills.csv", 2_000, 24)
    size = path.stat().st_size
    peak, count = _peak(lambda: read_bills(path, LIMIT))
    assert count == 2_000 * 24
    assert peak < MAX_SHARE * size, f"peak {peak:,} B for a {size:,} B file"
