"""Turn a raw MQTT message into line protocol, or a reason to reject it.

Checks, in order: size, topic shape, JSON, schema (telemetry models: v1, or
v2 with interval and cost readings), topic vs payload, registry (site and agent
known), timestamps plausible (intervals: collector/intervals.py), new meters
within their site's limit (collector/meters.py). Tags come from the registry
(district, dong, building type), never from the wire.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from collector.intervals import Span, arrival_line, implausible_span, overlapping, span_fields
from collector.meters import Admission, MeterGate
from collector.reasons import Reason
from collector.verdict import Accepted, Delivery, Rejected
from telemetry import influx_schema as s
from telemetry.fields import CONSUMPTION_FIELD, RATE_FIELD
from telemetry.lineproto import float_point, line, series
from telemetry.models import AgentStatus, Quality, Reading
from telemetry.readings_v2 import AnyBatch, parse_batch, plain_loc
from telemetry.registry import Registry
from telemetry.topics import Topic, TopicError, TopicKind, parse_topic

Verdict = Accepted | Rejected
SERIES_CACHE = 200_000  # escaped series strings kept (~150 bytes each)


@dataclass(frozen=True)
class Limits:
    max_payload_bytes: int
    max_future_s: float
    max_age_s: float


class Validator:
    def __init__(self, registry: Registry, limits: Limits, meters: MeterGate | None = None) -> None:
        self.registry = registry
        self.limits = limits
        self.meters = meters  # None: every well-formed meter id is admitted
        self._series_cache: dict[tuple[str, ...], str] = {}

    def use_registry(self, registry: Registry) -> None:
        """A reloaded registry (site tags may have changed: drop the cached series)."""
        self.registry = registry
        self._series_cache = {}
        if self.meters is not None:
            self.meters.use_registry(registry)

    def check(self, d: Delivery, now: float | None = None) -> Verdict:
        now = time.time() if now is None else now
        if len(d.payload) > self.limits.max_payload_bytes:
            return Rejected(
                Reason.OVERSIZE,
                f"{len(d.payload)} bytes > limit {self.limits.max_payload_bytes}",
            )
        try:
            topic = parse_topic(d.topic)
        except TopicError as exc:
            return Rejected(Reason.BAD_TOPIC, str(exc))
        unknown = self._unknown(topic.site, topic.agent)
        if unknown is not None:
            return unknown
        if topic.kind is TopicKind.STATUS:
            return self._status(topic, d, now)
        return self._readings(topic, d, now)

    def agent_of(self, topic: str) -> tuple[str, str] | None:
        """The (site, agent) a message came from, when its topic parses and the registry knows
        them (a rejected message is then counted under its agent on the operators' page)."""
        try:
            t = parse_topic(topic)
        except TopicError:
            return None
        return (t.site, t.agent) if self.registry.knows(t.site, t.agent) else None

    def _unknown(self, site: str, agent: str) -> Rejected | None:
        if site not in self.registry.sites:
            return Rejected(Reason.UNKNOWN_SITE, f"site {site!r} is not in the registry")
        if not self.registry.knows(site, agent):
            return Rejected(Reason.UNKNOWN_AGENT, f"agent {agent!r} is not an agent of {site!r}")
        return None

    def _readings(self, topic: Topic, d: Delivery, now: float) -> Verdict:
        try:
            batch = parse_batch(d.payload)
        except ValidationError as exc:
            return _schema_rejection(exc)
        if (batch.site, batch.agent) != (topic.site, topic.agent):
            return Rejected(
                Reason.TOPIC_MISMATCH,
                f"payload site/agent {batch.site}/{batch.agent} "
                f"!= topic {topic.site}/{topic.agent}",
            )
        # A point reading is stored at its ts, an interval or cost one at its start.
        stamps = [_ms(_stamp(r).timestamp()) for r in batch.readings]
        late = self._implausible_time(batch, stamps, now)
        if late is not None:
            return late
        if self.meters is None:
            return self._with_arrivals(self._reading_lines(batch, stamps), batch, now)
        admission = self.meters.admit(batch.site, (r.meter for r in batch.readings))
        if len(admission.refused) == 0:
            out = self._reading_lines(batch, stamps)
        else:
            out = self._within_limit(batch, stamps, admission)
        if isinstance(out, Accepted):
            out.new_meters = len(admission.admitted)
            self._with_arrivals(out, batch, now)
        return out

    def _with_arrivals(self, out: Accepted, batch: AnyBatch, now: float) -> Accepted:
        spans = _spans(batch)
        if spans:
            out.lines.append(arrival_line(batch.site, batch.agent, spans, now))
        return out

    def _within_limit(self, batch: AnyBatch, stamps: list[int], admission: Admission) -> Verdict:
        """The readings of admitted meters; the rest are refused, and said so."""
        keep = [i for i, r in enumerate(batch.readings) if r.meter not in admission.refused]
        refused = len(batch.readings) - len(keep)
        names = sorted(admission.refused)
        more = f" (+{len(names) - 5} more)" if len(names) > 5 else ""
        why = Rejected(
            Reason.UNKNOWN_METER_LIMIT,
            f"{refused} readings of {len(names)} new meters refused: site {batch.site!r} "
            f"is at its limit of {admission.limit} meters (expected_meters + meter_margin "
            f"in the registry): {', '.join(names[:5])}{more}",
            refused,
        )
        if not keep:
            return why
        kept = batch.model_copy(update={"readings": [batch.readings[i] for i in keep]})
        out = self._reading_lines(kept, [stamps[i] for i in keep])
        out.refused, out.refused_readings = why, refused
        out.refused_meters = dict(
            Counter(r.meter for r in batch.readings if r.meter in admission.refused)
        )
        return out

    def _implausible_time(self, batch: AnyBatch, stamps: list[int], now: float) -> Rejected | None:
        spans = _spans(batch)
        if spans:
            bad = implausible_span(spans, now, self.limits.max_future_s) or overlapping(spans)
            if bad is not None:
                return bad
        points = [(ms, i) for i, ms in enumerate(stamps) if isinstance(batch.readings[i], Reading)]
        if not points:
            return None
        # One clock stamps the whole batch: a wrong one is wrong for every reading.
        (newest_ms, i_new), (oldest_ms, i_old) = max(points), min(points)
        newest, oldest = newest_ms / 1000, oldest_ms / 1000
        if newest > now + self.limits.max_future_s:
            return Rejected(
                Reason.TS_FUTURE,
                f"readings[{i_new}].ts {_stamp(batch.readings[i_new]).isoformat()} "
                f"is {newest - now:.0f} s in the future",
            )
        if oldest < now - self.limits.max_age_s:
            return Rejected(
                Reason.TS_TOO_OLD,
                f"readings[{i_old}].ts {_stamp(batch.readings[i_old]).isoformat()} "
                f"is {(now - oldest) / 86400:.1f} days old",
            )
        return None

    def _reading_lines(self, batch: AnyBatch, stamps: list[int]) -> Accepted:
        out = Accepted(lines=[], site=batch.site, agent=batch.agent, seq=batch.seq)
        site, cache, lines, handed = batch.site, self._series_cache, out.lines, out.handed
        for r, ms in zip(batch.readings, stamps, strict=True):
            if not isinstance(r, Reading):
                measurement, fields = span_fields(r)
                cost = measurement == s.UTILITY_COST
                key = self._series(site, r.meter, measurement, r.quality.value, r.utility, cost)
                lines.append(float_point(key, fields, ms))
                continue
            # Utility and Quality are StrEnums: they hash and format as their values.
            key = cache.get((site, r.meter, r.utility, r.quality))
            if key is None:
                key = self._series(site, r.meter, r.utility.value, r.quality.value)
            lines.append(float_point(key, r.values, ms))
            # Lag is about live readings: imported history would drown it.
            out.reading_ts_ms.append(ms)
            if r.quality is not Quality.BAD:  # what the rollup reads from the store
                u = r.utility
                values = r.values
                handed.append(
                    (
                        u.value,
                        r.meter,
                        ms,
                        values.get(CONSUMPTION_FIELD[u]),
                        values.get(RATE_FIELD[u]),
                    )
                )
        out.readings = len(batch.readings)
        out.meters = [r.meter for r in batch.readings]
        return out

    def _series(
        self,
        site: str,
        meter: str,
        measurement: str,
        quality: str,
        utility: str = "",
        utility_tag: bool = False,
    ) -> str:
        # Escaping and sorting tags is most of the cost of a line; a meter's
        # series repeats every poll, so keep the escaped form (bounded).
        ident = (site, meter, measurement, quality) + ((utility,) if utility_tag else ())
        key = self._series_cache.get(ident)
        if key is None:
            tags = {
                **self.registry.tags(site).as_dict(),
                s.TAG_METER: meter,
                s.TAG_QUALITY: quality,
            }
            if utility_tag:
                tags[s.TAG_UTILITY] = utility
            key = series(measurement, tags)
            if len(self._series_cache) >= SERIES_CACHE:
                self._series_cache.clear()
            self._series_cache[ident] = key
        return key

    def _status(self, topic: Topic, d: Delivery, now: float) -> Verdict:
        try:
            status = AgentStatus.from_json(d.payload)
        except ValidationError as exc:
            return _schema_rejection(exc)
        ts = status.ts.timestamp() if status.ts else d.received
        if ts > now + self.limits.max_future_s:
            return Rejected(Reason.TS_FUTURE, f"status ts {status.ts} is in the future")
        fields = _status_fields(status)
        tags = {s.TAG_SITE: topic.site, s.TAG_AGENT: topic.agent}
        return Accepted(lines=[line(s.AGENT_STATUS, tags, fields, _ms(ts))])


def _status_fields(status: AgentStatus) -> dict[str, float | str]:
    fields: dict[str, float | str] = {
        "state": status.state.value,
        "online": 1.0 if status.state.value == "online" else 0.0,
        "meters_failing": float(len(status.meters_failing)),
        "failing": ",".join(status.meters_failing),
    }
    for name in ("meters", "outbox_depth", "outbox_oldest_age_s", "dropped_batches"):
        value = getattr(status, name)
        if value is not None:
            fields[name] = float(value)
    if status.last_error is not None:
        fields["last_error"] = status.last_error
    return fields


def _ms(t: float) -> int:
    return round(t * 1000)


def _stamp(r: Reading | Span) -> datetime:
    return r.ts if isinstance(r, Reading) else r.interval.start


def _spans(batch: AnyBatch) -> list[tuple[int, Span]]:
    """(index, reading) of the interval and cost readings (none in a v1 batch)."""
    return [(i, r) for i, r in enumerate(batch.readings) if not isinstance(r, Reading)]


def _schema_rejection(exc: ValidationError) -> Rejected:
    errors = exc.errors(include_url=False, include_input=False)
    for e in errors:  # without the schema and reading-kind tags of telemetry.readings_v2
        e["loc"] = plain_loc(e["loc"])
    if any(e["type"] == "json_invalid" or e["type"] == "json_type" for e in errors):
        return Rejected(Reason.BAD_JSON, _describe(errors))
    if any(_is_meter_loc(e["loc"]) and e["type"].startswith("string_") for e in errors):
        return Rejected(Reason.BAD_METER_ID, _describe(errors))
    if all(_is_interval_order(e) for e in errors):
        return Rejected(Reason.BAD_INTERVAL, _describe(errors))
    return Rejected(Reason.SCHEMA, _describe(errors))


def _is_interval_order(error: Any) -> bool:
    """end not after start, or too long: what the JSON Schema cannot say."""
    loc = error["loc"]
    return error["type"] == "value_error" and len(loc) == 3 and loc[2] == "interval"


def _is_meter_loc(loc: tuple[int | str, ...]) -> bool:
    return len(loc) == 3 and loc[0] == "readings" and loc[2] == "meter"


def _describe(errors: list) -> str:
    parts = [f"{'.'.join(str(p) for p in e['loc']) or '(payload)'}: {e['msg']}" for e in errors]
    more = f" (+{len(parts) - 3} more)" if len(parts) > 3 else ""
    return "; ".join(parts[:3]) + more
