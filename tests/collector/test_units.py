"""Unit tests: line protocol escaping, seq tracking, ack only after a successful write."""

from __future__ import annotations

import queue
import threading
from pathlib import Path

import pytest

from collector.influx_writer import RefusedLine
from collector.pipeline import Pipeline
from collector.seqtrack import SeqTracker
from collector.stats import Stats
from collector.validate import Limits, Validator
from collector.verdict import Delivery
from telemetry.lineproto import escape_string, line
from telemetry.registry import load_registry
from telemetry.topics import readings_topic
from tests.collector.helpers import AGENT, REPO, SITE, make_batch, recent_t0


def test_line_escapes_each_element_by_its_rules() -> None:
    lp = line(
        "my measure,x", {"t k": "a=b,c", "empty": ""}, {"f": 1.5, "n": 2, "s": 'say "hi"\\\n'}, 7
    )
    assert lp == r'my\ measure\,x,t\ k=a\=b\,c f=1.5,n=2i,s="say \"hi\"\\\n" 7'


def test_string_fields_survive_surrogates_and_control_bytes() -> None:
    assert escape_string("\ud800\x00") == '"\\\\ud800\\x00"'
    escape_string("\ud800").encode("utf-8")  # must not raise


def test_tags_with_line_breaks_are_refused() -> None:
    with pytest.raises(ValueError, match="line break"):
        line("m", {"t": "a\nb"}, {"f": 1.0}, 1)


def test_non_finite_floats_are_refused() -> None:
    with pytest.raises(ValueError, match="finite"):
        line("m", {}, {"f": float("nan")}, 1)


def test_seq_tracker_counts_gaps_duplicates_and_late() -> None:
    t = SeqTracker(window=100)
    assert t.observe("a", 5).gaps == 0
    assert t.observe("a", 6).gaps == 0
    assert t.observe("a", 9).gaps == 2
    assert t.observe("a", 9).duplicate
    assert t.observe("a", 8).late
    assert t.observe("a", 8).duplicate
    assert t.observe("a", 1).reset is False  # within the window: late, not a reset
    assert t.observe("b", 0).gaps == 0  # agents are tracked apart
    assert t.observe("a", 10_000).gaps == 10_000 - 9 - 1
    assert t.observe("a", 3).reset


class FakeWriter:
    """Records each write and how many acks had been sent before it."""

    def __init__(self, acked: list[int]) -> None:
        self.acked = acked
        self.writes: list[tuple[int, int]] = []  # (lines, acks seen before this write)
        self.markers: list[str] = []  # arrival markers (written at ns after the readings)

    def write(self, lines: list[str], precision: str, abort: threading.Event) -> list[RefusedLine]:
        if precision == "ns":
            self.markers.extend(x for x in lines if x.startswith("arrivals,"))
            return []
        self.writes.append((len(lines), len(self.acked)))
        return []


def _pipeline(
    writer: FakeWriter, acked: list[int], batch_size: int
) -> tuple[Pipeline, queue.Queue]:
    registry = load_registry(REPO / "config" / "sites" / "demo.yaml")
    inbox: queue.Queue = queue.Queue()
    p = Pipeline(
        inbox,
        Validator(registry, Limits(1 << 20, 300, 86400 * 90)),
        writer,  # type: ignore[arg-type]
        lambda d: acked.append(d.mid),
        Stats("t"),
        batch_size,
        60.0,
        3600.0,
    )
    return p, inbox


def test_acks_follow_the_write_that_holds_the_message(tmp_path: Path) -> None:
    acked: list[int] = []
    writer = FakeWriter(acked)
    p, inbox = _pipeline(writer, acked, batch_size=10)
    t0 = recent_t0()
    for seq in range(4):  # 5 readings each: a write after every 2 messages
        b = make_batch(SITE, AGENT, seq, 5, t0)
        inbox.put(Delivery(seq + 1, 1, readings_topic(SITE, AGENT), b.to_json(), 0.0, 0))
    inbox.put(Delivery(99, 1, readings_topic(SITE, AGENT), b"not json", 0.0, 0))
    inbox.put(None)
    p.run()
    assert acked == [1, 2, 3, 4, 99]
    # Each write happened before the acks of its messages: 0 acks before the
    # first write, 2 before the second (those of the first write).
    assert [seen for _n, seen in writer.writes[:2]] == [0, 2]
    assert p.stats.rejected == 1 and p.stats.written == 20
    # One arrival marker per stored batch of the site, 10 readings each.
    assert len(writer.markers) == 2 and all("readings=10i" in x for x in writer.markers)
