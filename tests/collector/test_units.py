"""Unit tests: line protocol escaping, seq tracking, ack only after a successful write, the
per-agent figures."""

from __future__ import annotations

import json
import queue
import re
import threading
from pathlib import Path

import pytest

from collector.agent_stats import AgentStats
from collector.arrivals import Span
from collector.influx_writer import RefusedLine
from collector.pipeline import Pipeline
from collector.seqtrack import SeqTracker
from collector.stats import Stats
from collector.validate import Limits, Validator
from collector.verdict import Delivery
from telemetry.lineproto import escape_string, line
from telemetry.models import Quality
from telemetry.registry import load_registry
from telemetry.topics import readings_topic
from tests.collector.helpers import AGENT, AGENT2, REPO, SITE, SITE2, make_batch, recent_t0


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

    def __init__(self, acked: list[int], refuse: str | None = None) -> None:
        self.acked = acked
        self.refuse = refuse  # ms lines holding this are refused, as InfluxDB refuses a field
        self.writes: list[tuple[int, int]] = []  # (lines, acks seen before this write)
        self.markers: list[str] = []  # arrival markers (written at ns after the readings)
        self.handed: list[str] = []  # the readings markers hand the rollup
        self.lines: list[str] = []  # every ms line (readings, stats)

    def write(self, lines: list[str], precision: str, abort: threading.Event) -> list[RefusedLine]:
        if precision == "ns":
            self.markers.extend(x for x in lines if x.startswith("arrivals,"))
            self.handed.extend(x for x in lines if x.startswith("handed_readings,"))
            return []
        self.writes.append((len(lines), len(self.acked)))
        self.lines.extend(lines)
        if self.refuse is None:
            return []
        return [RefusedLine(x, "field type conflict") for x in lines if self.refuse in x]


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


def _stored(writer: FakeWriter, marker: str) -> dict | None:
    """The readings a marker hands the rollup (the `handed_readings` point of the same
    instance and time), or None."""
    key = (marker.split(",", 2)[1].split(" ")[0], marker.rsplit(" ", 1)[1])  # instance, ns
    for x in writer.handed:
        if (x.split(",", 2)[1].split(" ")[0], x.rsplit(" ", 1)[1]) == key:
            found = re.search(r'stored="((?:[^"\\]|\\.)*)"', x)
            assert found is not None, x
            return json.loads(re.sub(r"\\(.)", r"\1", found.group(1)))
    return None


def _run_batches(writer: FakeWriter, acked: list[int], batches: list) -> Pipeline:
    p, inbox = _pipeline(writer, acked, batch_size=100)
    for i, b in enumerate(batches):
        inbox.put(Delivery(i + 1, 1, readings_topic(b.site, b.agent), b.to_json(), 0.0, 0))
    inbox.put(None)
    p.run()
    return p


def test_markers_hand_over_the_good_readings_they_stand_for() -> None:
    """The rollup takes a pass's new readings from the markers (collector/arrivals.py):
    each marker carries its site's good readings, exactly as stored, and no bad one."""
    acked: list[int] = []
    writer = FakeWriter(acked)
    t0 = recent_t0()
    good = make_batch(SITE, AGENT, 1, 3, t0)
    bad = make_batch(SITE, AGENT, 2, 2, t0, meter_prefix="x")
    bad = bad.model_copy(
        update={"readings": [r.model_copy(update={"quality": Quality.BAD}) for r in bad.readings]}
    )
    _run_batches(writer, acked, [good, bad])
    (marker,) = writer.markers
    stored = _stored(writer, marker)
    assert stored is not None and set(stored) == {"electricity"}
    ms = int(good.readings[0].ts.timestamp() * 1000)
    assert stored["electricity"] == {
        r.meter: [[ms, r.values["energy_kwh"], r.values["power_kw"]]] for r in good.readings
    }
    assert "readings=5i" in marker  # the bad ones are stored, but not handed over


def test_a_write_with_a_refused_line_hands_over_nothing() -> None:
    """InfluxDB refused one reading: no marker of that write claims to hold them all
    (the rollup then reads the store)."""
    acked: list[int] = []
    writer = FakeWriter(acked, refuse="meter=m0001")
    t0 = recent_t0()
    _run_batches(
        writer, acked, [make_batch(SITE, AGENT, 1, 3, t0), make_batch(SITE2, AGENT2, 1, 2, t0)]
    )
    assert len(writer.markers) == 2
    assert [_stored(writer, x) for x in writer.markers] == [None, None] and not writer.handed


def test_a_marker_too_large_to_hand_over_carries_nothing() -> None:
    span = Span(0, 0, 0, [("electricity", f"m{i:05d}", i, float(i), 1.0) for i in range(2_000)])
    assert span.stored() is None  # past STORED_MAX_CHARS: the rollup reads the store
    small = Span(0, 0, 0, [("gas", "g1", 5, None, 2.5)])
    assert json.loads(small.stored() or "") == {"gas": {"g1": [[5, None, 2.5]]}}
    assert Span(0, 0).stored() is None  # built without readings: none handed over


def _agent_figures(lines: list[str]) -> dict[tuple[str, ...], int]:
    """collector_agent_stats lines as {(site, agent, reason or field): count}."""
    out: dict[tuple[str, ...], int] = {}
    for x in lines:
        head, fields, _ts = x.split(" ")
        measurement, *tags = head.split(",")
        if measurement != "collector_agent_stats":
            continue
        t = dict(tag.split("=") for tag in tags)
        name, value = fields.split("=")
        assert t["instance"] == "t" and value.endswith("i")
        out[(t["site"], t["agent"], t.get("reason", name))] = int(value[:-1])
    return out


def test_gaps_and_rejections_are_counted_per_named_agent() -> None:
    acked: list[int] = []
    writer = FakeWriter(acked)
    p, inbox = _pipeline(writer, acked, batch_size=1000)
    t0 = recent_t0()
    mid = iter(range(1, 100))

    def put(topic: str, payload: bytes) -> None:
        inbox.put(Delivery(next(mid), 1, topic, payload, 0.0, 0))

    for site, agent, seqs in ((SITE, AGENT, (0, 1, 4)), (SITE2, AGENT2, (7, 10))):
        for seq in seqs:
            put(readings_topic(site, agent), make_batch(site, agent, seq, 2, t0).to_json())
    put(readings_topic(SITE, AGENT), b"not json")
    put(readings_topic(SITE, AGENT), b'{"schema": "energy.readings.v1"}')
    put(readings_topic(SITE, AGENT), make_batch(SITE2, AGENT2, 11, 1, t0).to_json())
    # Not nameable: a malformed topic, an agent the registry does not know.
    put("energy/v1/hanam-ic", b"{}")
    put(readings_topic(SITE, "ghost-gw"), make_batch(SITE, "ghost-gw", 0, 1, t0).to_json())
    inbox.put(None)
    p.run()
    assert _agent_figures(writer.lines) == {
        (SITE, AGENT, "seq_gaps"): 2,
        (SITE2, AGENT2, "seq_gaps"): 2,
        (SITE, AGENT, "bad_json"): 1,
        (SITE, AGENT, "schema"): 1,
        (SITE, AGENT, "topic_mismatch"): 1,
    }
    # The collector's own figures count every rejection, named or not.
    assert p.stats.rejected == 5 and p.stats.seq_gaps == 4


def test_agent_figures_are_increments_between_stats_lines() -> None:
    stats = AgentStats("t")
    stats.gaps((SITE, AGENT), 3)
    stats.rejected((SITE, AGENT), "schema")
    stats.rejected((SITE, AGENT), "schema")
    first = _agent_figures(stats.lines(1000))
    assert first == {(SITE, AGENT, "seq_gaps"): 3, (SITE, AGENT, "schema"): 2}
    assert stats.lines(2000) == []  # nothing new: no line at all
    stats.gaps((SITE, AGENT), 1)
    # A clock that stood still (or stepped back) must not overwrite the last increments.
    assert [x.rsplit(" ", 1)[1] for x in stats.lines(2000)] == ["2001"]
