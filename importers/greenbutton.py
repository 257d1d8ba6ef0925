"""Green Button (NAESB ESPI) XML into interval readings (or register readings).

UsagePoint/ServiceCategory/kind gives the utility; each MeterReading's
ReadingType gives the unit (uom × 10^powerOfTenMultiplier), the direction
(flowDirection 19 = export: `energy_export_kwh`) and whether values are
amounts per interval (accumulationBehaviour 4: interval readings) or a
register (1: point readings of the counter at each interval's end). A
household's meters are `<household>-<utility>`, `-2`, `-3` … for further
usage points of the same utility; a register is that id with `-reg`
(`<household>-<utility>[-N]-reg`), so a usage point read both ways is two
series, never one (the deltas win where both are: telemetry.influx_schema
superseded_registers). The whole file is checked before anything is
returned: any refusal names the element and its line.
"""

from __future__ import annotations

import heapq
from array import array
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from itertools import groupby, pairwise
from pathlib import Path
from xml.etree.ElementTree import Element

from pydantic import ValidationError

from importers.errors import Refused
from importers.espi_codes import (
    ACC_BULK,
    ACC_DELTA,
    ESPI_NS,
    FLOW_FORWARD,
    SERVICE_KIND,
    Quantity,
    quantity,
)
from importers.espi_feed import Entry, children, entries
from importers.safexml import Prune, XmlDoc, load, local
from importers.spans import Period, plausible_period, refuse_overlaps
from telemetry.fields import Utility
from telemetry.influx_schema import REGISTER_METER_SUFFIX
from telemetry.models import Reading
from telemetry.readings_v2 import Interval, IntervalReading

ImportedReading = Reading | IntervalReading


@dataclass(frozen=True, slots=True)
class Channel:
    """One MeterReading: which meter and field its values go to, and how."""

    meter: str
    utility: Utility
    qty: Quantity
    power_of_ten: int
    bulk: bool


def read_greenbutton(
    path: Path, household: str, max_bytes: int, read: Callable[[int], None] = lambda _n: None
) -> GreenButtonReadings:
    """The file's readings, every one checked; `read` is told the bytes parsed (progress).

    Each IntervalReading is checked and kept as four integers as it is parsed, then
    dropped from the tree (a 50 MB download holds some 300,000): memory holds the feed's
    skeleton and those integers, and readings are built as they are published."""
    raws: dict[int, RawBlock] = {}  # by id of the IntervalBlock element (alive in the tree)
    doc = load(path, max_bytes, Prune(_IR, partial(_keep_raw, path, raws)), read)
    feed = entries(doc)
    parts = [
        Part(channel, raws[id(block.resource)], f"<IntervalReading> of {block.label()}")
        for channel, block in _channels(doc, feed, household)
        if id(block.resource) in raws
    ]
    if not any(len(p.raw) for p in parts):
        raise doc.refuse(doc.root, "the feed holds no IntervalReading")
    _refuse_overlaps(path, parts)
    readings = GreenButtonReadings(path, parts)
    readings.check()
    return readings


_IR = f"{{{ESPI_NS}}}IntervalReading"
_BLOCK = f"{{{ESPI_NS}}}IntervalBlock"


class RawBlock:
    """One IntervalBlock's readings as parsed: start (s), duration (s), value, line."""

    def __init__(self) -> None:
        self.start, self.duration = array("q"), array("q")
        self.value, self.line = array("q"), array("q")

    def __len__(self) -> int:
        return len(self.start)

    def order(self) -> list[int]:
        """Indices by start (ties in document order: the sort is stable)."""
        return sorted(range(len(self)), key=self.start.__getitem__)


@dataclass(frozen=True, slots=True)
class Part:
    """One channel's readings of one block."""

    channel: Channel
    raw: RawBlock
    where: str  # for errors, as the user would find it


def _keep_raw(
    path: Path,
    raws: dict[int, RawBlock],
    parent: Element,
    ir: Element,
    line_of: Callable[[Element], int | None],
) -> None:
    """Check one IntervalReading as it ends and keep its integers (its block's)."""
    if parent.tag != _BLOCK:
        return  # outside a block: never read (as before streaming)

    def refuse(elem: Element, message: str) -> Refused:
        return Refused(path, f"<{local(elem.tag)}>: {message}", line_of(elem))

    period = ir.find(f"{{{ESPI_NS}}}timePeriod")
    if period is None:
        raise refuse(ir, "no timePeriod")
    start_s = _child_int(refuse, period, "start")
    duration = _child_int(refuse, period, "duration")
    raw = _child_int(refuse, ir, "value")
    if start_s is None or duration is None or raw is None:
        raise refuse(ir, "timePeriod/start, timePeriod/duration and value are required")
    if duration <= 0:
        raise refuse(period, f"duration {duration} is not positive")
    if raw < 0:
        raise refuse(ir, f"negative value {raw}: amounts and registers are never negative")
    start = _utc(start_s)
    problem = plausible_period(start, start + timedelta(seconds=duration))
    if problem:
        raise refuse(period, problem)
    block = raws.setdefault(id(parent), RawBlock())
    block.start.append(start_s)
    block.duration.append(duration)
    block.value.append(raw)
    block.line.append(line_of(ir) or 0)


def _utc(ts_s: int) -> datetime:
    try:
        return datetime.fromtimestamp(ts_s, UTC)
    except (OverflowError, OSError, ValueError):
        return datetime.max.replace(tzinfo=UTC)  # far out of range: plausible_period says so


def _refuse_overlaps(path: Path, parts: list[Part]) -> None:
    """Duplicated or overlapping periods of one meter's field make the file ambiguous."""
    by_series: dict[tuple[str, str], list[Part]] = {}
    for p in parts:
        by_series.setdefault((p.channel.meter, p.channel.qty.field), []).append(p)
    for series, group in by_series.items():
        # The group's readings in compact arrays (which part, which reading), by start.
        starts, ends, part, index = array("q"), array("q"), array("q"), array("q")
        for n, p in enumerate(group):
            starts.extend(p.raw.start)
            ends.extend(s + d for s, d in zip(p.raw.start, p.raw.duration, strict=True))
            part.extend([n] * len(p.raw))
            index.extend(range(len(p.raw)))
        for a, b in pairwise(sorted(range(len(starts)), key=starts.__getitem__)):
            if starts[b] < ends[a]:
                pair = [_period(series, group[part[k]], index[k]) for k in (a, b)]
                refuse_overlaps(path, pair)


def _period(series: tuple[str, str], part: Part, i: int) -> Period:
    start = _utc(part.raw.start[i])
    end = start + timedelta(seconds=part.raw.duration[i])
    return Period(series, start, end, part.raw.line[i] or None, part.where)


class GreenButtonReadings(Sequence[ImportedReading]):
    """The file's readings, built as they are iterated: a register's point readings, then
    each meter's amounts by period (a period's fields, e.g. use and export, in one)."""

    def __init__(self, path: Path, parts: list[Part]) -> None:
        self.path, self.parts = path, parts
        self._len: int | None = None

    def check(self) -> None:
        """Build every reading once: a reading the contract refuses refuses the file."""
        self._len = sum(1 for _ in self)

    def __len__(self) -> int:
        if self._len is None:
            self.check()
        return self._len or 0

    def __getitem__(self, index):  # type: ignore[no-untyped-def, override]
        items = list(self)  # not used on large files: publishing iterates
        return items[index]

    def __iter__(self) -> Iterator[ImportedReading]:
        for part in self.parts:
            if part.channel.bulk:
                yield from self._registers(part)
        meters: dict[tuple[str, Utility], list[Part]] = {}
        for part in self.parts:
            if not part.channel.bulk:
                meters.setdefault((part.channel.meter, part.channel.utility), []).append(part)
        for (meter, utility), group in meters.items():
            yield from self._amounts(meter, utility, group)

    def _registers(self, part: Part) -> Iterator[Reading]:
        ch, raw = part.channel, part.raw
        for i in raw.order():
            end = _utc(raw.start[i] + raw.duration[i])
            value = ch.qty.convert(raw.value[i], ch.power_of_ten)
            try:
                yield Reading(meter=ch.meter, utility=ch.utility, ts=end,
                              values={ch.qty.field: value})  # fmt: skip
            except ValidationError as exc:
                raise Refused(self.path, f"<IntervalReading>: {_first_error(exc)}",
                              raw.line[i] or None) from None  # fmt: skip

    def _amounts(
        self, meter: str, utility: Utility, group: list[Part]
    ) -> Iterator[IntervalReading]:
        """One reading per period, its fields merged across channels, by start."""

        def keyed(part: Part) -> Iterator[tuple[int, int, str, float]]:
            ch, raw = part.channel, part.raw
            for i in raw.order():
                value = ch.qty.convert(raw.value[i], ch.power_of_ten)
                yield raw.start[i], raw.start[i] + raw.duration[i], ch.qty.field, value

        merged = heapq.merge(*(keyed(p) for p in group))
        for (start_s, end_s), same in groupby(merged, key=lambda x: (x[0], x[1])):
            yield self._amount(meter, utility, start_s, end_s, {f: v for _s, _e, f, v in same})

    def _amount(
        self, meter: str, utility: Utility, start_s: int, end_s: int, values: dict[str, float]
    ) -> IntervalReading:
        start, end = _utc(start_s), _utc(end_s)
        try:
            return IntervalReading(
                meter=meter, utility=utility, interval=Interval(start=start, end=end), values=values
            )
        except ValidationError as exc:
            raise Refused(self.path, f"{meter} {start.isoformat()}: {_first_error(exc)}") from None


def _channels(
    doc: XmlDoc, feed: dict[str, list[Entry]], household: str
) -> Iterator[tuple[Channel, Entry]]:
    """(channel, IntervalBlock entry) pairs; every MeterReading and block must be placed."""
    seen_meters: Counter[Utility] = Counter()
    placed: set[int] = set()
    for up in feed["UsagePoint"]:
        utility = _service(doc, up)
        seen_meters[utility] += 1
        n = seen_meters[utility]
        meter = f"{household}-{utility.value}" + (f"-{n}" if n > 1 else "")
        for mr in children(up, feed["MeterReading"]):
            placed.add(id(mr))
            channel = _channel(doc, mr, feed, meter, utility)
            blocks = children(mr, feed["IntervalBlock"])
            placed.update(id(b) for b in blocks)
            for block in blocks:
                yield channel, block
    for kind in ("MeterReading", "IntervalBlock"):
        for e in feed[kind]:
            if id(e) not in placed:
                raise doc.refuse(e.resource, f"{e.label()} is linked from no UsagePoint")


def _service(doc: XmlDoc, up: Entry) -> Utility:
    kind = up.resource.find(f"{{{ESPI_NS}}}ServiceCategory/{{{ESPI_NS}}}kind")
    if kind is None:
        raise doc.refuse(up.resource, "no ServiceCategory/kind")
    code = _int(doc.refuse, kind)
    if code not in SERVICE_KIND:
        known = ", ".join(f"{k} {u.value}" for k, u in SERVICE_KIND.items())
        raise doc.refuse(kind, f"service kind {code} is not imported (accepted: {known})")
    return SERVICE_KIND[code]


def _channel(
    doc: XmlDoc, mr: Entry, feed: dict[str, list[Entry]], meter: str, utility: Utility
) -> Channel:
    types = [t for t in feed["ReadingType"] if t.self_link in mr.related]
    if len(types) != 1:
        raise doc.refuse(mr.resource, f"{mr.label()} links {len(types)} ReadingTypes, expected 1")
    rt = types[0].resource
    uom = _child_int(doc.refuse, rt, "uom")
    if uom is None:
        raise doc.refuse(rt, "no uom")
    flow = _child_int(doc.refuse, rt, "flowDirection", FLOW_FORWARD)
    acc = _child_int(doc.refuse, rt, "accumulationBehaviour", ACC_DELTA)
    if acc not in (ACC_BULK, ACC_DELTA):
        raise doc.refuse(
            rt, f"accumulationBehaviour {acc} is not imported (accepted: 1 bulk register, 4 deltas)"
        )
    qty = quantity(utility, uom, flow)  # type: ignore[arg-type]
    if isinstance(qty, str):
        raise doc.refuse(rt, qty)
    power = _child_int(doc.refuse, rt, "powerOfTenMultiplier", 0)
    if not -12 <= power <= 12:  # type: ignore[operator]
        raise doc.refuse(rt, f"powerOfTenMultiplier {power} is out of range -12..12")
    bulk = acc == ACC_BULK
    if bulk:
        meter += REGISTER_METER_SUFFIX
    return Channel(meter, utility, qty, power, bulk)  # type: ignore[arg-type]


def _child_int(
    refuse: Callable[[Element, str], Refused], parent: Element, name: str,
    default: int | None = None,
) -> int | None:  # fmt: skip
    elem = parent.find(f"{{{ESPI_NS}}}{name}")
    return default if elem is None else _int(refuse, elem)


def _int(refuse: Callable[[Element, str], Refused], elem: Element) -> int:
    text = (elem.text or "").strip()
    try:
        return int(text)
    except ValueError:
        raise refuse(elem, f"expected an integer, got {text[:40]!r}") from None


def _first_error(exc: ValidationError) -> str:
    e = exc.errors(include_url=False, include_input=False)[0]
    return f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
