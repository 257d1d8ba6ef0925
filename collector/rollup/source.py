"""What the rollup reads: raw readings and its own hourly points, over InfluxQL /query."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from telemetry.influx_schema import (
    AGENT_STATUS,
    GROUP_TAGS,
    METER_CONSUMPTION_1H,
    ROLLUP_WATERMARK,
    TAG_MEASUREMENT,
    TAG_METER,
    TAG_QUALITY,
    TAG_SITE,
    TAG_UTILITY,
    WITHHELD,
    WITHHELD_COMPLEMENTARY,
)
from telemetry.influxql import InfluxQL, quote_ident, tag_ne, time_window

MeterKey = tuple[str, str]  # (site, meter)

WATERMARK = ROLLUP_WATERMARK


@dataclass(frozen=True, slots=True)
class MeterHour:
    utility: str
    site: str
    meter: str
    ts: int
    consumption: float
    resets: int
    glitches: int
    spikes: int


_GOOD = tag_ne(TAG_QUALITY, "bad")
_BY_METER = f"{quote_ident(TAG_SITE)}, {quote_ident(TAG_METER)}"


class RawSource:
    """Reads the private bucket; every query is bounded in time."""

    def __init__(self, ql: InfluxQL, db: str) -> None:
        self.ql = ql
        self.db = db

    def counter_readings(
        self, utility: str, field: str, start_ms: int, end_ms: int
    ) -> dict[MeterKey, list[tuple[int, float]]]:
        """Every good counter reading per meter in [start, end), sorted by time."""
        q = (
            f"SELECT {quote_ident(field)} FROM {quote_ident(utility)} "
            f"WHERE {time_window(start_ms, end_ms)} AND {_GOOD} GROUP BY {_BY_METER}"
        )
        out: dict[MeterKey, list[tuple[int, float]]] = {}
        for s in self.ql.series(q, self.db, epoch="ms"):
            key = (s.tags.get(TAG_SITE, ""), s.tags.get(TAG_METER, ""))
            out[key] = [(int(t), float(v)) for t, v in s.values if v is not None]
        return out

    def counter_context(
        self, utility: str, field: str, start_ms: int, end_ms: int, n: int, before: bool
    ) -> dict[MeterKey, list[tuple[int, float]]]:
        """Per meter, the `n` good counter readings in [start, end) nearest its end
        (`before`: the readings leading up to a window) or nearest its start."""
        order = "DESC" if before else "ASC"
        q = (
            f"SELECT {quote_ident(field)} FROM {quote_ident(utility)} "
            f"WHERE {time_window(start_ms, end_ms)} AND {_GOOD} GROUP BY {_BY_METER} "
            f"ORDER BY time {order} LIMIT {int(n)}"
        )
        out: dict[MeterKey, list[tuple[int, float]]] = {}
        for s in self.ql.series(q, self.db, epoch="ms"):
            key = (s.tags.get(TAG_SITE, ""), s.tags.get(TAG_METER, ""))
            out[key] = sorted((int(t), float(v)) for t, v in s.values if v is not None)
        return out

    def latest_rates(
        self, utility: str, field: str, start_ms: int, end_ms: int
    ) -> list[tuple[str, str, int, float]]:
        """(site, meter, minute, latest good rate in that minute)."""
        q = (
            f"SELECT last({quote_ident(field)}) FROM {quote_ident(utility)} "
            f"WHERE {time_window(start_ms, end_ms)} AND {_GOOD} "
            f"GROUP BY time(1m), {_BY_METER} fill(none)"
        )
        out = []
        for s in self.ql.series(q, self.db, epoch="ms"):
            site, meter = s.tags.get(TAG_SITE, ""), s.tags.get(TAG_METER, "")
            out.extend((site, meter, int(t), float(v)) for t, v in s.values if v is not None)
        return out

    def meter_hours(self, start_ms: int, end_ms: int) -> list[MeterHour]:
        """The rollup's own meter_consumption_1h points in [start, end)."""
        q = (
            f"SELECT consumption, resets, glitches, spikes FROM {quote_ident(METER_CONSUMPTION_1H)} "
            f"WHERE {time_window(start_ms, end_ms)} "
            f"GROUP BY {quote_ident(TAG_UTILITY)}, {_BY_METER}"
        )
        out = []
        for s in self.ql.series(q, self.db, epoch="ms"):
            for t, consumption, resets, glitches, spikes in s.values:
                out.append(
                    MeterHour(
                        s.tags.get(TAG_UTILITY, ""),
                        s.tags.get(TAG_SITE, ""),
                        s.tags.get(TAG_METER, ""),
                        int(t),
                        float(consumption or 0.0),
                        int(resets or 0),
                        int(glitches or 0),
                        int(spikes or 0),
                    )
                )
        return out

    def outbox_backlog_s(self, since_ms: int, now_ms: int) -> float:
        """The oldest outbox age any agent reported since `since`: how late data may be."""
        q = (
            f"SELECT max(outbox_oldest_age_s) FROM {quote_ident(AGENT_STATUS)} "
            f"WHERE {time_window(since_ms, now_ms)}"
        )
        rows = self.ql.rows(q, self.db, epoch="ms")
        return float(rows[0].get("max") or 0.0) if rows else 0.0

    def watermark(self, since_ms: int, now_ms: int) -> int | None:
        """End of the last completed pass (None when there was none since `since`)."""
        q = f"SELECT last(until_ms) FROM {quote_ident(WATERMARK)} WHERE {time_window(since_ms, now_ms + 60_000)}"
        rows = self.ql.rows(q, self.db, epoch="ms")
        return int(rows[0]["last"]) if rows and rows[0].get("last") is not None else None


class PublicMarkers:
    """Reads the rollup's own `withheld` markers back from the public bucket."""

    def __init__(self, ql: InfluxQL, db: str) -> None:
        self.ql = ql
        self.db = db

    def complementary(
        self, start_ms: int, end_ms: int
    ) -> list[tuple[str, str, str, str, str, int]]:
        """(measurement, utility, district, dong, building_type, ts) of active markers."""
        q = (
            f"SELECT reason FROM {quote_ident(WITHHELD)} WHERE {time_window(start_ms, end_ms)} "
            f"GROUP BY {', '.join(quote_ident(t) for t in (TAG_MEASUREMENT, *GROUP_TAGS))}"
        )
        out = []
        for s in self.ql.series(q, self.db, epoch="ms"):
            key = [s.tags.get(t, "") for t in (TAG_MEASUREMENT, *GROUP_TAGS)]
            out.extend((*key, int(t)) for t, reason in s.values if reason == WITHHELD_COMPLEMENTARY)
        return out


def by_meter(hours: list[MeterHour]) -> dict[tuple[str, str, str], list[MeterHour]]:
    out: dict[tuple[str, str, str], list[MeterHour]] = defaultdict(list)
    for h in hours:
        out[(h.utility, h.site, h.meter)].append(h)
    return out
