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

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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
from importers.safexml import XmlDoc, load
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


def read_greenbutton(path: Path, household: str, max_bytes: int) -> list[ImportedReading]:
    doc = load(path, max_bytes)
    feed = entries(doc)
    periods: list[Period] = []
    amounts: dict[tuple[str, Utility, datetime, datetime], dict[str, float]] = {}
    registers: list[Reading] = []
    for channel, block in _channels(doc, feed, household):
        for ir in block.resource.findall(f"{{{ESPI_NS}}}IntervalReading"):
            start, end, value = _interval_reading(doc, ir, channel)
            where = f"<IntervalReading> of {block.label()}"
            periods.append(
                Period((channel.meter, channel.qty.field), start, end, doc.line(ir), where)
            )
            if channel.bulk:
                registers.append(_register(doc, ir, channel, end, value))
            else:
                amounts.setdefault((channel.meter, channel.utility, start, end), {})[
                    channel.qty.field
                ] = value
    refuse_overlaps(path, periods)
    if not periods:
        raise doc.refuse(doc.root, "the feed holds no IntervalReading")
    return [*registers, *(_amount(path, k, v) for k, v in amounts.items())]


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
    code = _int(doc, kind)
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
    uom = _child_int(doc, rt, "uom")
    if uom is None:
        raise doc.refuse(rt, "no uom")
    flow = _child_int(doc, rt, "flowDirection", FLOW_FORWARD)
    acc = _child_int(doc, rt, "accumulationBehaviour", ACC_DELTA)
    if acc not in (ACC_BULK, ACC_DELTA):
        raise doc.refuse(
            rt, f"accumulationBehaviour {acc} is not imported (accepted: 1 bulk register, 4 deltas)"
        )
    qty = quantity(utility, uom, flow)  # type: ignore[arg-type]
    if isinstance(qty, str):
        raise doc.refuse(rt, qty)
    power = _child_int(doc, rt, "powerOfTenMultiplier", 0)
    if not -12 <= power <= 12:  # type: ignore[operator]
        raise doc.refuse(rt, f"powerOfTenMultiplier {power} is out of range -12..12")
    bulk = acc == ACC_BULK
    if bulk:
        meter += REGISTER_METER_SUFFIX
    return Channel(meter, utility, qty, power, bulk)  # type: ignore[arg-type]


def _interval_reading(doc: XmlDoc, ir: Element, ch: Channel) -> tuple[datetime, datetime, float]:
    period = ir.find(f"{{{ESPI_NS}}}timePeriod")
    if period is None:
        raise doc.refuse(ir, "no timePeriod")
    start_s = _child_int(doc, period, "start")
    duration = _child_int(doc, period, "duration")
    raw = _child_int(doc, ir, "value")
    if start_s is None or duration is None or raw is None:
        raise doc.refuse(ir, "timePeriod/start, timePeriod/duration and value are required")
    if duration <= 0:
        raise doc.refuse(period, f"duration {duration} is not positive")
    if raw < 0:
        raise doc.refuse(ir, f"negative value {raw}: amounts and registers are never negative")
    start = datetime.fromtimestamp(start_s, UTC)
    end = start + timedelta(seconds=duration)
    problem = plausible_period(start, end)
    if problem:
        raise doc.refuse(period, problem)
    return start, end, ch.qty.convert(raw, ch.power_of_ten)


def _register(doc: XmlDoc, ir: Element, ch: Channel, end: datetime, value: float) -> Reading:
    try:
        return Reading(meter=ch.meter, utility=ch.utility, ts=end, values={ch.qty.field: value})
    except ValidationError as exc:
        raise doc.refuse(ir, _first_error(exc)) from None


def _amount(
    path: Path, key: tuple[str, Utility, datetime, datetime], values: dict[str, float]
) -> IntervalReading:
    meter, utility, start, end = key
    try:
        return IntervalReading(
            meter=meter, utility=utility, interval=Interval(start=start, end=end), values=values
        )
    except ValidationError as exc:
        raise Refused(path, f"{meter} {start.isoformat()}: {_first_error(exc)}") from None


def _child_int(doc: XmlDoc, parent: Element, name: str, default: int | None = None) -> int | None:
    elem = parent.find(f"{{{ESPI_NS}}}{name}")
    return default if elem is None else _int(doc, elem)


def _int(doc: XmlDoc, elem: Element) -> int:
    text = (elem.text or "").strip()
    try:
        return int(text)
    except ValueError:
        raise doc.refuse(elem, f"expected an integer, got {text[:40]!r}") from None


def _first_error(exc: ValidationError) -> str:
    e = exc.errors(include_url=False, include_input=False)[0]
    return f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
