"""What the rollup reads: raw readings and its own hourly points, over InfluxQL /query."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from collector.rollup.aggregate import Cell, CellKey
from collector.rollup.disclosure import TOP, Facts, UnitKey, Version
from collector.rollup.groups import Group
from collector.rollup.handed import KEEP_MS, Handed
from collector.rollup.partition import cell_of
from collector.rollup.periods import minute_of
from telemetry.disclosure import Reason
from telemetry.influx_schema import (
    AGENT_STATUS,
    ARRIVALS,
    DISCLOSURE_PUBLISHED,
    FIELD_APPORTIONED,
    FIELD_BASIS,
    FIELD_DECIDED,
    FIELD_DISCLOSURE,
    FIELD_DURATION_S,
    FIELD_HOLDERS,
    FIELD_REVISED,
    FIELD_REVISION_WITHHELD,
    FIELD_TOP,
    GROUP_TAGS,
    HANDED,
    INTERVAL_ARRIVALS,
    JOB_ARRIVALS,
    JOB_MERGE,
    JOB_PASS,
    JOB_ROLLUP,
    METER_CONSUMPTION_1D,
    METER_CONSUMPTION_1H,
    METER_CONSUMPTION_1MO,
    PARTITION_CELLS,
    ROLLUP_WATERMARK,
    SOURCE_METER,
    TAG_AGENT,
    TAG_INSTANCE,
    TAG_JOB,
    TAG_MEASUREMENT,
    TAG_METER,
    TAG_PARTITION,
    TAG_QUALITY,
    TAG_SITE,
    TAG_SOURCE,
    TAG_UTILITY,
    WITHHELD,
    WITHHELD_ACTIVE,
    interval_measurement,
    partition_cells_of,
    rollup_from,
)
from telemetry.influxql import InfluxQL, quote_ident, tag_eq, tag_in, tag_ne, time_window

MeterKey = tuple[str, str]  # (site, meter)
AHEAD_MS = 3_600_000  # readings this far past now (clocks ahead) are read with the recent
Sites = list[str] | None  # a query's sites; None: every site
SITES_PER_QUERY = 1_000  # a query names at most this many sites (one regex)
KST_DAY = "1d,15h"  # InfluxQL buckets of a day starting at 15:00 UTC: the KST day

WATERMARK = ROLLUP_WATERMARK


@dataclass(frozen=True, slots=True)
class Arrival:
    instance: str
    at_ns: int  # when the collector stored the readings
    site: str
    t0_ms: int
    t1_ms: int
    stored: str | None = None  # the readings the marker handed over (handed.py)


@dataclass(frozen=True, slots=True)
class MeterHour:
    """A meter's stored figures for one period (an hour, or a day summed from hours)."""

    utility: str
    site: str
    meter: str
    ts: int
    consumption: float
    resets: int
    glitches: int
    spikes: int
    source: str = ""  # "" (a counter meter's hours and days), or TAG_SOURCE's value
    apportioned: int = 0


_GOOD = tag_ne(TAG_QUALITY, "bad")
_BY_METER = f"{quote_ident(TAG_SITE)}, {quote_ident(TAG_METER)}"
_BY_SITE_AGENT = f"{quote_ident(TAG_SITE)}, {quote_ident(TAG_AGENT)}"
_COUNTERS = tag_eq(TAG_SOURCE, "")  # counter meters' hours and days carry no source tag


class RawSource:
    """Reads the private bucket; every query is bounded in time."""

    def __init__(self, ql: InfluxQL, db: str, partition: str = "") -> None:
        self.ql = ql
        self.db = db
        self.partition = partition  # a worker's (partition.py); "" one rollup, or the merge
        # A worker's raw reads keep to its districts' readings and its importers' (" AND
        # (...)"): every worker parsing the whole city's readings to drop the rest cost
        # two workers together 40 % more CPU than one.
        self.scope = ""
        self.handed = Handed()  # what the markers carried, rates kept (handed.py)
        self.now_ms = 0  # the running pass's now (the engine sets it)

    def recent_readings(
        self, utility: str, fields: tuple[str, str], starts: tuple[int, int], end_ms: int
    ) -> dict[MeterKey, list[tuple[int, float]]]:
        """counter_readings of every site in [counters' start, end), read with the rate
        field in one query from the minute of the rates' start: the rates, to now and
        past it (clocks ahead), are handed to `latest_rates` (handed.py).
        starts: (rates from, counters from)."""
        rates_from, start_ms = starts
        first = minute_of(min(rates_from, start_ms))
        counters: dict[MeterKey, list[tuple[int, float]]] = defaultdict(list)
        rates: dict[tuple[str, str, int], tuple[int, float]] = {}
        window = f"{time_window(first, max(end_ms, self.now_ms) + AHEAD_MS)} AND {_GOOD}"
        for site, meter, t, (c, r) in self._meter_rows(utility, fields, window):
            if c is not None and start_ms <= t < end_ms:
                counters[(site, meter)].append((t, float(c)))
            if r is not None:
                rates[(site, meter, minute_of(t))] = (t, float(r))  # in time order: last stays
        self.handed.cover(utility, first, rates)
        return dict(counters)

    def counter_readings(
        self, utility: str, field: str, start_ms: int, end_ms: int, sites: Sites = None
    ) -> dict[MeterKey, list[tuple[int, float]]]:
        """Every good counter reading per meter in [start, end), sorted by time."""
        out: dict[MeterKey, list[tuple[int, float]]] = defaultdict(list)
        for where in _site_filters(sites):
            window = f"{time_window(start_ms, end_ms)} AND {_GOOD}{where}"
            for site, meter, t, (v,) in self._meter_rows(utility, (field,), window):
                if v is not None:
                    out[(site, meter)].append((t, float(v)))
        return dict(out)

    def _meter_rows(
        self, utility: str, fields: tuple[str, ...], where: str
    ) -> Iterator[tuple[str, str, int, tuple[float | None, ...]]]:
        """(site, meter, time, the fields' values) of every point, in time order. The
        meter's tags are selected as columns: InfluxDB answers one series in about half
        the time it takes to answer one per meter (GROUP BY site, meter), the largest
        cost of a pass."""
        selected = ", ".join(quote_ident(f) for f in fields)
        q = f"SELECT {selected}, {_BY_METER} FROM {quote_ident(utility)} WHERE {where}{self.scope}"
        for s in self.ql.series(q, self.db, epoch="ms"):
            for t, *values, site, meter in s.values:
                yield site or "", meter or "", int(t), tuple(values)

    def counter_context(
        self,
        utility: str,
        field: str,
        span: tuple[int, int],
        n: int,
        before: bool,
        sites: Sites = None,
    ) -> dict[MeterKey, list[tuple[int, float]]]:
        """Per meter, the `n` good counter readings in [start, end) nearest its end
        (`before`: the readings leading up to a window) or nearest its start."""
        order = "DESC" if before else "ASC"
        out: dict[MeterKey, list[tuple[int, float]]] = {}
        for where in _site_filters(sites):
            q = (
                f"SELECT {quote_ident(field)} FROM {quote_ident(utility)} "
                f"WHERE {time_window(*span)} AND {_GOOD}{where}{self.scope} GROUP BY {_BY_METER} "
                f"ORDER BY time {order} LIMIT {int(n)}"
            )
            for s in self.ql.series(q, self.db, epoch="ms"):
                key = (s.tags.get(TAG_SITE, ""), s.tags.get(TAG_METER, ""))
                out[key] = sorted((int(t), float(v)) for t, v in s.values if v is not None)
        return out

    def latest_rates(
        self, utility: str, field: str, start_ms: int, end_ms: int
    ) -> list[tuple[str, str, int, float]]:
        """(site, meter, minute, latest good rate in that minute): from what the markers
        handed over where it holds every reading; else read, recent minutes to now and
        past it (then handed over from here on)."""
        handed = self.handed.rates(utility, start_ms, end_ms)
        if handed is not None:
            return handed
        if start_ms < self.now_ms - KEEP_MS:  # late readings' minutes: read on their own
            return [(*k, v) for k, (_t, v) in self._rates(utility, field, start_ms, end_ms).items()]
        read = self._rates(utility, field, start_ms, self.now_ms + AHEAD_MS)
        self.handed.cover(utility, start_ms, read)
        return [(*k, v) for k, (_t, v) in read.items() if k[2] < end_ms]

    def _rates(
        self, utility: str, field: str, start_ms: int, end_ms: int
    ) -> dict[tuple[str, str, int], tuple[int, float]]:
        latest: dict[tuple[str, str, int], tuple[int, float]] = {}
        window = f"{time_window(start_ms, end_ms)} AND {_GOOD}"
        for site, meter, t, (v,) in self._meter_rows(utility, (field,), window):
            if v is not None:
                latest[(site, meter, minute_of(t))] = (t, float(v))  # in time order: last stays
        return latest

    def meter_days(
        self, start_ms: int, end_ms: int, sites: Sites = None, month: bool = False
    ) -> list[MeterHour]:
        """Per counter meter and KST day in [start, end) (day starts): the sums of its
        stored meter_consumption_1h points, summed by InfluxDB (one row per meter and
        day). `month`: the sums of its meter_consumption_1d points over [start, end)
        (one KST month), at `start`."""
        measurement = METER_CONSUMPTION_1D if month else METER_CONSUMPTION_1H
        by_time = "" if month else f"time({KST_DAY}), "
        out = []
        for where in _site_filters(sites):
            q = (
                "SELECT sum(consumption), sum(resets), sum(glitches), sum(spikes) "
                f"FROM {rollup_from(measurement)} "
                f"WHERE {time_window(start_ms, end_ms)} AND {_COUNTERS}{where} "
                f"GROUP BY {by_time}{quote_ident(TAG_UTILITY)}, {_BY_METER} fill(none)"
            )
            for s in self.ql.series(q, self.db, epoch="ms"):
                u, site, meter = (s.tags.get(t, "") for t in (TAG_UTILITY, TAG_SITE, TAG_METER))
                for t, consumption, resets, glitches, spikes in s.values:
                    if consumption is None:
                        continue
                    out.append(
                        MeterHour(
                            u,
                            site,
                            meter,
                            start_ms if month else int(t),
                            float(consumption),
                            int(resets or 0),
                            int(glitches or 0),
                            int(spikes or 0),
                        )
                    )
        return out

    def meter_points(
        self, measurement: str, start_ms: int, end_ms: int, where: str = ""
    ) -> list[MeterHour]:
        """The rollup's own per-meter points (hourly, daily, monthly) in [start, end)."""
        q = (
            f"SELECT consumption, resets, glitches, spikes, {quote_ident(FIELD_APPORTIONED)} "
            f"FROM {rollup_from(measurement)} WHERE {time_window(start_ms, end_ms)}{where} "
            f"GROUP BY {quote_ident(TAG_UTILITY)}, {_BY_METER}, {quote_ident(TAG_SOURCE)}"
        )
        out = []
        for s in self.ql.series(q, self.db, epoch="ms"):
            u, site, meter, src = (
                s.tags.get(t, "") for t in (TAG_UTILITY, TAG_SITE, TAG_METER, TAG_SOURCE)
            )
            out.extend(
                MeterHour(
                    u,
                    site,
                    meter,
                    int(t),
                    float(c or 0.0),
                    int(r or 0),
                    int(g or 0),
                    int(k or 0),
                    src,
                    int(a or 0),
                )
                for t, c, r, g, k, a in s.values
            )
        return out

    def imported_points(
        self, measurement: str, site: str | None, start_ms: int, end_ms: int
    ) -> list[MeterHour]:
        """The imported meters' points of `site` (None: every site) in [start, end)."""
        where = f" AND {tag_ne(TAG_SOURCE, '')}"
        if site is not None:
            where += f" AND {tag_eq(TAG_SITE, site)}"
        if measurement == METER_CONSUMPTION_1MO:
            where += f" AND {tag_ne(TAG_SOURCE, SOURCE_METER)}"
        return self.meter_points(measurement, start_ms, end_ms, where)

    def intervals(
        self, utility: str, field: str, start_ms: int, end_ms: int, site: str | None
    ) -> dict[MeterKey, list[tuple[int, int, float]]]:
        """Per meter, its good interval readings starting in [start, end): (start, end,
        amount in `field`), sorted by start; `site` None: every site."""
        where = f" AND {tag_eq(TAG_SITE, site)}" if site is not None else ""
        q = (
            f"SELECT {quote_ident(field)}, {quote_ident(FIELD_DURATION_S)} "
            f"FROM {rollup_from(interval_measurement(utility))} "
            f"WHERE {time_window(start_ms, end_ms)} AND {_GOOD}{where} GROUP BY {_BY_METER}"
        )
        out: dict[MeterKey, list[tuple[int, int, float]]] = {}
        for s in self.ql.series(q, self.db, epoch="ms"):
            key = (s.tags.get(TAG_SITE, ""), s.tags.get(TAG_METER, ""))
            rows = [
                (int(t), int(t) + round(float(d) * 1000), float(v))
                for t, v, d in s.values
                if v is not None and d is not None
            ]
            if rows:
                out[key] = rows
        return out

    def group_versions(
        self, measurement: str, periods: list[tuple[str, int]], basis: str | None
    ) -> dict[tuple[str, int], Version]:
        """The decision stored with each period's private group points (aggregate.py
        `version_fields`): what was published and the facts behind every group. Periods
        without one (decided before versions were stored, under another `basis`: other
        rules or registry, or never) are left out; `basis` None: any."""
        if not periods:
            return {}
        wanted = set(periods)
        tops = ", ".join(quote_ident(f"{FIELD_TOP}{i}") for i in range(1, TOP + 1))
        facts: dict[tuple[str, int], dict[UnitKey, Facts]] = {}
        shown: dict[tuple[str, int], set[UnitKey]] = {}
        others: dict[tuple[str, int], set[UnitKey]] = {}
        decided: dict[tuple[str, int], int] = {}
        found = []
        for ts in sorted({t for _u, t in wanted}):  # the periods asked, not what lies between
            q = (
                f"SELECT consumption, {quote_ident(FIELD_HOLDERS)}, {tops}, "
                f"{quote_ident(FIELD_DISCLOSURE)}, {quote_ident(FIELD_DECIDED)}, "
                f"{quote_ident(FIELD_BASIS)} "
                f"FROM {rollup_from(measurement)} WHERE {time_window(ts, ts + 1)} "
                f"GROUP BY {', '.join(quote_ident(t) for t in GROUP_TAGS)}"
            )
            found.extend(self.ql.series(q, self.db, epoch="ms"))
        for s in found:
            utility = s.tags.get(TAG_UTILITY, "")
            group = Group(*(s.tags.get(t, "") for t in GROUP_TAGS[1:]))
            for t, total, holders, *rest in s.values:
                *top, disclosure, at, made = rest
                period = (utility, int(t))
                if period not in wanted or disclosure is None or basis not in (None, made):
                    continue
                key = (utility, int(t), group)
                facts.setdefault(period, {})[key] = Facts(
                    float(total or 0.0),
                    int(holders or 0),
                    tuple(float(v) for v in top if v is not None),
                )
                if disclosure == DISCLOSURE_PUBLISHED:
                    shown.setdefault(period, set()).add(key)
                elif disclosure == Reason.PROTECTS.value:
                    others.setdefault(period, set()).add(key)
                decided[period] = max(decided.get(period, 0), int(at or 0))
        return {
            p: Version(f, frozenset(shown.get(p, ())), decided[p], frozenset(others.get(p, ())))
            for p, f in facts.items()
        }

    def interval_arrivals(self, since_ms: int, until_ms: int) -> list[Arrival]:
        """Markers of stored interval readings in [since, until) (collector/intervals.py)."""
        q = (
            f"SELECT start_ms, end_ms FROM {quote_ident(INTERVAL_ARRIVALS)} "
            f"WHERE {time_window(since_ms, until_ms)} GROUP BY {_BY_SITE_AGENT}"
        )
        out = []
        for s in self.ql.series(q, self.db, epoch="ns"):
            site, agent = s.tags.get(TAG_SITE, ""), s.tags.get(TAG_AGENT, "")
            for t, t0, t1 in s.values:
                if t0 is not None and t1 is not None:
                    out.append(Arrival(f"{agent}@{site}", int(t), site, int(t0), int(t1)))
        return out

    def arrivals(self, since_ms: int, until_ms: int) -> list[Arrival]:
        """Arrival markers the collectors wrote in [since, until)."""
        q = (
            f"SELECT site, t0_ms, t1_ms FROM {quote_ident(ARRIVALS)} "
            f"WHERE {time_window(since_ms, until_ms)} GROUP BY {quote_ident(TAG_INSTANCE)}"
        )
        found = [
            (s.tags.get(TAG_INSTANCE, ""), row)
            for s in self.ql.series(q, self.db, epoch="ns")
            for row in s.values
        ]
        handed = self._handed(since_ms, until_ms) if found else {}
        out = []
        for instance, (t, site, t0, t1) in found:
            if site is not None and t0 is not None and t1 is not None:
                stored = handed.get((instance, int(t)))
                out.append(Arrival(instance, int(t), str(site), int(t0), int(t1), stored))
        return out

    def _handed(self, since_ms: int, until_ms: int) -> dict[tuple[str, int], str]:
        """The readings handed beside the markers of [since, until), by (instance, time).
        Read after the markers: the collector writes them before its markers, so a
        marker seen has its readings there (one without is served from the store)."""
        q = (
            f"SELECT stored FROM {rollup_from(HANDED)} "
            f"WHERE {time_window(since_ms, until_ms)} GROUP BY {quote_ident(TAG_INSTANCE)}"
        )
        out: dict[tuple[str, int], str] = {}
        for s in self.ql.series(q, self.db, epoch="ns"):
            instance = s.tags.get(TAG_INSTANCE, "")
            out.update(((instance, int(t)), str(v)) for t, v in s.values if v is not None)
        return out

    def outbox_backlog_s(self, since_ms: int, now_ms: int) -> float:
        """The oldest outbox age any agent reported since `since`: how late data may be."""
        q = (
            f"SELECT max(outbox_oldest_age_s) FROM {quote_ident(AGENT_STATUS)} "
            f"WHERE {time_window(since_ms, now_ms)}"
        )
        rows = self.ql.rows(q, self.db, epoch="ms")
        return float(rows[0].get("max") or 0.0) if rows else 0.0

    def arrival_cursor(self, since_ms: int, now_ms: int) -> tuple[int, str] | None:
        """(arrival time rolled up to, fingerprint of that pass) of the last pass."""
        q = (
            f"SELECT until_ms, fingerprint FROM {rollup_from(WATERMARK)} "
            f"WHERE {time_window(since_ms, now_ms + 60_000)} AND {tag_eq(TAG_JOB, JOB_ARRIVALS)} "
            f"AND {self._ours()} ORDER BY time DESC LIMIT 1"
        )
        rows = self.ql.rows(q, self.db, epoch="ms")
        if not rows or rows[0].get("until_ms") is None:
            return None
        return int(rows[0]["until_ms"]), str(rows[0].get("fingerprint") or "")

    def _ours(self) -> str:
        """This process's cursors: its partition's (a worker), or untagged (one rollup)."""
        return tag_eq(TAG_PARTITION, self.partition)

    def partition_passes(self, since_ms: int, now_ms: int) -> list[tuple[str, int, str]]:
        """Workers' completed passes in [since, now]: (partition, pass time, touched)."""
        q = (
            f"SELECT until_ms, touched FROM {rollup_from(WATERMARK)} "
            f"WHERE {time_window(since_ms, now_ms + 60_000)} AND {tag_eq(TAG_JOB, JOB_PASS)} "
            f"GROUP BY {quote_ident(TAG_PARTITION)}"
        )
        out = []
        for s in self.ql.series(q, self.db, epoch="ms"):
            part = s.tags.get(TAG_PARTITION, "")
            out.extend((part, int(t), str(touched or "")) for _t, t, touched in s.values)
        return out

    def merge_cursors(self, since_ms: int, now_ms: int) -> dict[str, int]:
        """The last worker pass the merge took, per partition."""
        q = (
            f"SELECT last(until_ms) FROM {rollup_from(WATERMARK)} "
            f"WHERE {time_window(since_ms, now_ms + 60_000)} AND {tag_eq(TAG_JOB, JOB_MERGE)} "
            f"GROUP BY {quote_ident(TAG_PARTITION)}"
        )
        return {
            s.tags.get(TAG_PARTITION, ""): int(s.values[0][1])
            for s in self.ql.series(q, self.db, epoch="ms")
            if s.values and s.values[0][1] is not None
        }

    def partition_cells(
        self, measurement: str, periods: list[int], parts: list[str]
    ) -> Iterator[tuple[CellKey, Cell]]:
        """The partitions' finest cells of the periods (partition.py `cell_lines`); those
        of partitions no longer configured are left out (districts partitioned anew)."""
        wanted = set(periods)
        by = ", ".join(quote_ident(t) for t in (TAG_PARTITION, *GROUP_TAGS))
        name = partition_cells_of(measurement)
        kept = rollup_from(name) if name == PARTITION_CELLS else quote_ident(name)
        for start, end in _spans_of(sorted(wanted)):
            q = (
                f"SELECT * FROM {kept} "
                f"WHERE {time_window(start, end + 1)} AND {tag_eq(TAG_MEASUREMENT, measurement)} "
                f"AND {tag_in(TAG_PARTITION, parts) or 'false'} GROUP BY {by}"
            )
            for s in self.ql.series(q, self.db, epoch="ms"):
                utility = s.tags.get(TAG_UTILITY, "")
                group = Group(*(s.tags.get(t, "") for t in GROUP_TAGS[1:]))
                for row in s.rows():
                    ts = int(row["time"])
                    if ts in wanted:
                        yield (utility, ts, group), cell_of(row)

    def watermark(self, since_ms: int, now_ms: int, job: str = JOB_ROLLUP) -> int | None:
        """End of the last completed pass (None when there was none since `since`)."""
        q = (
            f"SELECT last(until_ms) FROM {rollup_from(WATERMARK)} "
            f"WHERE {time_window(since_ms, now_ms + 60_000)} AND {tag_eq(TAG_JOB, job)} "
            f"AND {self._ours()}"
        )
        rows = self.ql.rows(q, self.db, epoch="ms")
        return int(rows[0]["last"]) if rows and rows[0].get("last") is not None else None


class PublicMarkers:
    """Reads the rollup's own public points back: `withheld` markers, current figures."""

    def __init__(self, ql: InfluxQL, db: str) -> None:
        self.ql = ql
        self.db = db

    def complementary(
        self, start_ms: int, end_ms: int
    ) -> list[tuple[str, str, str, str, str, int]]:
        """(measurement, utility, district, dong, building_type, ts) of standing markers
        (complementary or dominated)."""
        q = (
            f"SELECT reason FROM {quote_ident(WITHHELD)} WHERE {time_window(start_ms, end_ms)} "
            f"GROUP BY {', '.join(quote_ident(t) for t in (TAG_MEASUREMENT, *GROUP_TAGS))}"
        )
        out = []
        for s in self.ql.series(q, self.db, epoch="ms"):
            key = [s.tags.get(t, "") for t in (TAG_MEASUREMENT, *GROUP_TAGS)]
            out.extend((*key, int(t)) for t, reason in s.values if reason in WITHHELD_ACTIVE)
        return out

    def current(self, measurement: str, ts: int) -> set[tuple[str, int, Group]]:
        """(utility, ts, group) of the period's public points that show its latest
        figures (not left standing by a withheld revision)."""
        q = (
            f"SELECT consumption, {quote_ident(FIELD_REVISED)}, "
            f"{quote_ident(FIELD_REVISION_WITHHELD)} FROM {quote_ident(measurement)} "
            f"WHERE {time_window(ts, ts + 1)} "
            f"GROUP BY {', '.join(quote_ident(t) for t in GROUP_TAGS)}"
        )
        out = set()
        for s in self.ql.series(q, self.db, epoch="ms"):
            group = Group(*(s.tags.get(t, "") for t in GROUP_TAGS[1:]))
            for t, figure, revised, withheld in s.values:
                if figure is not None and (withheld is None or (revised or 0) >= withheld):
                    out.add((s.tags.get(TAG_UTILITY, ""), int(t), group))
        return out


def _site_filters(sites: Sites) -> list[str]:
    """` AND site =~ /^(?:a|...)$/` per chunk of sites (an OR list of equalities when a
    site id cannot be spelled in a regex); one empty filter for every site."""
    if sites is None:
        return [""]
    chunks = [sites[i : i + SITES_PER_QUERY] for i in range(0, len(sites), SITES_PER_QUERY)]
    return [" AND " + _named(c) for c in chunks]


def _named(sites: list[str]) -> str:
    regex = tag_in(TAG_SITE, sites)
    return regex or "(" + " OR ".join(tag_eq(TAG_SITE, x) for x in sites) + ")"


SPAN_GAP_MS = 6 * 3_600_000  # periods further apart than this are read by separate queries


def _spans_of(periods: list[int]) -> list[tuple[int, int]]:
    """Sorted period starts → [first, last] spans, split where they lie far apart."""
    out: list[tuple[int, int]] = []
    for t in periods:
        if out and t - out[-1][1] <= SPAN_GAP_MS:
            out[-1] = (out[-1][0], t)
        else:
            out.append((t, t))
    return out
