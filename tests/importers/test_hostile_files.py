"""Hostile and broken files: each refused whole, naming the element or line, nothing stored.

The importer runs against the real broker and collector, so "nothing stored"
is observed where it matters: the collector received no message, InfluxDB
holds no new point, and the agent's seq did not move.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.importers.conftest import Stack
from tests.importers.procs import FILES, everything, run_import

pytestmark = pytest.mark.timeout(120)

# file, format, what the message must say (file:line and the element or column)
CASES = [
    ("hostile_xxe.xml", "greenbutton", ["hostile_xxe.xml:3:", "<!DOCTYPE feed>"]),
    ("hostile_billion_laughs.xml", "greenbutton", ["hostile_billion_laughs.xml:3:", "DOCTYPE"]),
    (
        "hostile_wrong_namespace.xml",
        "greenbutton",
        ["hostile_wrong_namespace.xml:12:", "<LocalTimeParameters>", "http://naesb.org/espi/v0"],
    ),
    (
        "hostile_overlap.xml",
        "greenbutton",
        ["hostile_overlap.xml:70:", "<IntervalReading>", "overlaps"],
    ),
    (
        "hostile_duplicate.xml",
        "greenbutton",
        ["hostile_duplicate.xml:86:", "<IntervalReading>", "duplicates", "(line 71)"],
    ),
    ("hostile_negative.xml", "greenbutton", ["hostile_negative.xml:70:", "negative value -110"]),
    (
        "hostile_unknown_unit.xml",
        "greenbutton",
        ["hostile_unknown_unit.xml:47:", "<ReadingType>", "uom=169"],
    ),
    (
        "hostile_bills_unknown_unit.csv",
        "bills",
        ["hostile_bills_unknown_unit.csv:3:", "unit: 'therm'"],
    ),
    (
        "hostile_bills_overlap.csv",
        "bills",
        ["hostile_bills_overlap.csv:3:", "overlaps", "(line 2)"],
    ),
    ("hostile_bills_negative.csv", "bills", ["hostile_bills_negative.csv:3:", "quantity", "-4"]),
    (
        "hostile_kapt_duplicate.csv",
        "kapt",
        ["hostile_kapt_duplicate.csv:4:", "duplicates", "(line 2)"],
    ),
]
DATA = ("electricity_interval", "gas_interval", "water_interval", "heat_interval", "utility_cost")


def _stored(stack: Stack) -> dict[str, int]:
    counts = everything(stack.influx.url, stack.db)
    return {m: counts.get(m, 0) for m in (*DATA, "interval_arrivals", "rejected")}


def _received(stack: Stack) -> float:
    m = stack.collector.metrics()
    return sum(v for k, v in m.items() if k.startswith("collector_messages_total"))


def _refused_and_nothing_stored(stack: Stack, fmt: str, path: Path, *extra: str) -> str:
    state = stack.workdir / "hostile-state"
    before, received = _stored(stack), _received(stack)
    run = run_import(fmt, path, stack.broker.url, state, *extra, "--household", "hh-x")
    assert run.code == 2, run.stdout + run.stderr
    assert "refused, nothing published" in run.stderr
    assert _received(stack) == received
    assert _stored(stack) == before
    assert not (state / "pungam-import.seq").exists()
    return run.stderr


@pytest.mark.parametrize(("name", "fmt", "says"), CASES, ids=[c[0] for c in CASES])
def test_hostile_file_refused_with_its_place_and_nothing_stored(
    stack: Stack, name: str, fmt: str, says: list[str]
) -> None:
    message = _refused_and_nothing_stored(stack, fmt, FILES / name)
    for part in says:
        assert part in message, message


def test_entities_are_never_expanded(stack: Stack) -> None:
    """The XXE file names /etc/passwd: its content must appear nowhere."""
    message = _refused_and_nothing_stored(stack, "greenbutton", FILES / "hostile_xxe.xml")
    assert "root:" not in message


def test_a_file_over_the_size_cap_is_refused_unread(stack: Stack, tmp_path: Path) -> None:
    huge = tmp_path / "huge.xml"
    with huge.open("wb") as f:  # sparse: 65 MiB long, no disk used
        f.write(b'<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom">')
        f.truncate(65 * 1024 * 1024)
    message = _refused_and_nothing_stored(stack, "greenbutton", huge)
    assert "68,157,440 bytes, more than the limit of 67,108,864" in message


def test_a_smaller_cap_is_a_flag(stack: Stack) -> None:
    path = FILES / "gb_direct.xml"
    message = _refused_and_nothing_stored(stack, "greenbutton", path, "--max-file-bytes", "4096")
    assert "more than the limit of 4,096" in message
