"""One window's rollups: live per minute, consumption per meter and hour and day,
and the group points from the stored per-meter points (summed per site by InfluxDB)."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator
from functools import lru_cache

from collector.rollup import state
from collector.rollup.aggregate import (
    Cell,
    CellKey,
    Output,
    aggregate,
    days_of_month,
    group_points,
    hours_of_day,
    rules_of,
)
from collector.rollup.counters import Usage, Window
from collector.rollup.disclosure import Patterns
from collector.rollup.groups import SiteInfo
from collector.rollup.partition import Partition, cell_lines
from collector.rollup.periods import DAY_MS
from collector.rollup.placement import Placement
from collector.rollup.source import RawSource, Sites
from telemetry.counters import K, Settled, max_rate_per_h, settle
from telemetry.disclosure import DisclosureRules
from telemetry.emissions import EmissionFactors
from telemetry.fields import CONSUMPTION_FIELD, RATE_FIELD, Utility
from telemetry.influx_schema import (
    CONSUMPTION_1D,
    CONSUMPTION_1H,
    CONSUMPTION_1MO,
    COUNTER_EVENTS,
    FIELD_APPORTIONED,
    LIVE_1M,
    METER_CONSUMPTION_1H,
    METER_CONSUMPTION_1MO,
    SOURCE_METER,
    TAG_BUILDING_TYPE,
    TAG_DISTRICT,
    TAG_DONG,
    TAG_FIELD,
    TAG_METER,
    TAG_SITE,
    TAG_SOURCE,
    TAG_UTILITY,
)
from telemetry.lineproto import escape_measurement, line, point, tag

MeterUsage = dict[tuple[str, str, str, int], Usage]  # (utility, site, meter, period) → usage
MeterEvents = list[tuple[str, str, str, str, Settled]]  # (utility, site, meter, field, event)

RECALLED_MAX = 100_000  # periods looked up in the store, remembered (then forgotten)
SITE_FILTER_MAX = 200  # new readings of more sites than this: read by time only, pick in Python

# Readings read before a window: enough that a glitch among them cannot
# mislead the level at the start (K in line after any suspect settle it).
CONTEXT_BEFORE = 2 * K + 2


class Computer:
    def __init__(
        self,
        source: RawSource,
        sites: dict[str, SiteInfo],
        factors: EmissionFactors,
        k: int | DisclosureRules,
        bridge_ms: int,
        placement: Placement | None = None,
    ) -> None:
        self.source = source
        self.sites = sites
        self.placement = placement or Placement(sites)
        self.factors = factors
        self.rules = rules_of(k)
        self.k = self.rules.k
        self.patterns = Patterns()  # each period's suppression pattern, pass to pass
        self.now_ms = 0  # the running pass's time (the engine sets it): revisions' date
        self.recalled: set[tuple[str, str, int]] = set()  # periods whose version was looked up
        self.bridge_ms = bridge_ms
        self.states: dict[tuple[str, str, str], state.MeterState] = {}
        self.site_last: dict[str, int] = {}  # newest reading taken per site
        # Sites a full pass found without any reading, up to now and a bridge back: their
        # first readings after it start from no context, as a recompute would, without
        # one (a city's first read interval: every site new, each recompute a query).
        self.quiet: dict[str, int] = {}  # site → from when it is known to have none
        self._fingerprint: tuple[tuple[object, ...], str] | None = None
        self._simulated: tuple[tuple[int, int], bool] | None = None
        self._tag_sets: tuple[tuple[int, ...], dict[tuple[str, str, str, bool], str]] = ((), {})
        # A worker's (partition.py): its finest cells instead of group points, the
        # periods they fall in (for the merge), and the registry's sites it leaves alone.
        self.partition: Partition | None = None
        self.touched: dict[str, set[int]] = defaultdict(set)
        self.outside: frozenset[str] = frozenset()

    def fingerprint(self) -> str:
        """What the group points depend on besides readings: registry, disclosure rules, factors.
        A pass that finds another fingerprint on the last one recomputes in full.
        Kept while the same objects are in use: hashing the sites again cost every
        pass ~0.3 s per 100,000 sites."""
        key = (id(self.sites), len(self.sites), self.rules, id(self.factors), id(self.placement))
        if self._fingerprint is None or self._fingerprint[0] != key:
            text = repr(
                (
                    sorted(self.sites.items()),
                    self.rules.model_dump_json(),
                    self.factors.model_dump_json(),
                    self.placement.fingerprint_text(),
                )
            )
            self._fingerprint = (key, hashlib.sha256(text.encode()).hexdigest()[:16])
            # Versions decided under other rules or another registry bind nothing: a
            # change of them is the operator's decision to publish anew.
            self.patterns.forget_versions()
        return self._fingerprint[1]

    def any_simulated(self) -> bool:
        """Whether any site is simulated (then every group point counts them); kept while
        the same sites are in use, as the fingerprint."""
        key = (id(self.sites), len(self.sites))
        if self._simulated is None or self._simulated[0] != key:
            self._simulated = (key, any(i.simulated for i in self.sites.values()))
        return self._simulated[1]

    def live(self, start_ms: int, end_ms: int) -> Output:
        """live_1m: per minute, the sum of each meter's latest rate and how many reported."""
        items = []
        for utility in Utility:
            rows = self.source.latest_rates(utility, RATE_FIELD[utility], start_ms, end_ms)
            items.extend(
                (utility.value, site, minute, value, 1) for site, _m, minute, value in rows
            )
        cells, unknown = aggregate(items, self.sites)
        out = self.live_points(cells)
        out.unknown_sites |= unknown - self.outside
        return out

    def live_points(self, cells: dict[CellKey, Cell]) -> Output:
        """live_1m's group points (a worker's: its finest cells)."""
        if self.partition is not None:
            return self._partition_points(LIVE_1M, cells)
        return group_points(
            LIVE_1M,
            cells,
            self.rules,
            lambda _u, total: {"rate": total},
            self.patterns,
            self.now_ms,
            self.fingerprint(),
            self.any_simulated(),
        )

    def _partition_points(self, measurement: str, cells: dict[CellKey, Cell]) -> Output:
        lines = cell_lines(measurement, cells, self.partition) if self.partition else []
        self.touched[measurement].update(ts for _u, ts, _g in cells)
        return Output(private=lines)

    def meter_hours(
        self, start_ms: int, end_ms: int, sites: Sites = None, keep: bool = False
    ) -> tuple[MeterUsage, MeterEvents, dict[str, int]]:
        """Per meter and hour in [start, end) (start on an hour), from counter differences.

        Readings before the window set the level at its start; up to K after
        it settle its last suspect readings (a catch-up chunk ending before now).
        Also returned: per site, the oldest reading before the window whose
        verdict the window's readings changed (a pending one settled, an
        accepted one exposed as a spike): its hour must be recomputed too.
        `keep` (the window ends now): keep each meter's state for the next pass.
        """
        usage: MeterUsage = {}
        events: MeterEvents = []
        earlier: dict[str, int] = {}
        window = Window(start_ms, end_ms)
        heard: set[str] = set()  # sites with a reading in the window or its context
        for utility in Utility:
            field = CONSUMPTION_FIELD[utility]
            rate = max_rate_per_h(utility, field)
            found, context_sites = self._counter_series(utility, field, window, sites)
            heard |= context_sites
            for (site, meter), (context, series) in found.items():
                per_hour, found, st, verdicts = state.start(context + series, rate, window)
                for hour, u in per_hour.items():
                    usage[(utility.value, site, meter, hour)] = u
                events.extend((utility.value, site, meter, field, e) for e in found)
                changed = revised_before(context, verdicts, rate)
                if changed is not None:
                    earlier[site] = min(changed, earlier.get(site, changed))
                if keep:
                    self.states[(utility.value, site, meter)] = st
                    self.site_last[site] = max(st.last_ts, self.site_last.get(site, st.last_ts))
                    self.quiet.pop(site, None)
        if keep and sites is None:  # every meter read: the silent sites are known
            self.quiet.update((s, end_ms) for s in self.sites if s not in heard)
        return usage, events, earlier

    def resumable(self, site: str, t0: int, recent: int) -> bool:
        """Whether a site's new readings from t0 continue what this process holds of it
        (kept states, or known silence), recently enough to be read by time."""
        if t0 < recent:
            return False
        last = self.site_last.get(site)
        if last is not None:
            return t0 > last
        since = self.quiet.get(site)
        return since is not None and t0 >= since

    def feed(
        self, spans: dict[str, tuple[int, int]], end_ms: int, rates_from: int | None = None
    ) -> tuple[MeterUsage, MeterEvents, dict[str, int]]:
        """New readings of sites whose state is kept, resumed from it: the hours they
        changed, events, and the sites to recompute from raw readings (no state for
        one of their meters, or a verdict revised in an hour the state left).
        rates_from: where the pass's live minutes start (their rates read alongside)."""
        usage: MeterUsage = {}
        events: MeterEvents = []
        redo: dict[str, int] = {}
        since = min(t0 for t0, _t1 in spans.values())
        read_from = since if rates_from is None else min(since, rates_from)
        named = sorted(spans) if len(spans) <= SITE_FILTER_MAX else None
        for utility in Utility:
            field = CONSUMPTION_FIELD[utility]
            found = self.source.handed.counters(utility.value, spans)  # what markers carried
            if found is None:
                found = (
                    self.source.counter_readings(utility, field, since, end_ms, named)
                    if named is not None
                    else self.source.recent_readings(
                        utility, (field, RATE_FIELD[utility]), (read_from, since), end_ms
                    )
                )
            for (site, meter), series in found.items():
                span = spans.get(site)
                key = (utility.value, site, meter)
                if span is None or site in redo:
                    continue
                if key not in self.states:
                    if site not in self.quiet or series[0][0] < self.quiet[site]:
                        redo[site] = span[0]
                        continue
                    rate = max_rate_per_h(utility, field)
                    self.states[key] = state.start([], rate, Window(0, 0))[2]  # no past
                fed = state.feed(self.states[key], [r for r in series if r[0] <= span[1]])
                if fed.redo_from is not None:
                    redo[site] = min(fed.redo_from, span[0])
                hours = self.states[key].hours
                usage.update(((*key, h), hours[h]) for h in fed.hours if h in hours)
                events.extend((utility.value, site, meter, field, e) for e in fed.events)
                self.site_last[site] = max(span[1], self.site_last.get(site, span[1]))
        for site in spans:
            if site in self.site_last:
                self.quiet.pop(site, None)
        return {k: u for k, u in usage.items() if k[1] not in redo}, events, redo

    def _counter_series(
        self, utility: Utility, field: str, window: Window, sites: Sites
    ) -> tuple[
        dict[tuple[str, str], tuple[list[tuple[int, float]], list[tuple[int, float]]]], set[str]
    ]:
        """Per meter: (context before, the window's readings + context after); and the
        sites with a reading in the window or the context before it."""
        src, start, end = self.source, window.start_ms, window.end_ms
        # A recompute reads back an hour or more and the context a day: naming the
        # sites (a regex per 1,000) costs what they hold; reading by time costs
        # every meter's readings, worth it only when most sites are wanted.
        most = max(SITE_FILTER_MAX, len(self.sites) // 2)
        named = sites if sites is None or len(sites) <= most else None
        inside = src.counter_readings(utility, field, start, end, named)
        if named is None and sites is not None:
            wanted = set(sites)
            inside = {key: series for key, series in inside.items() if key[0] in wanted}
        elif named is None and self.outside:  # a worker's: other partitions' sites left out
            inside = {key: s for key, s in inside.items() if key[0] not in self.outside}
        if not inside and sites is not None:
            return {}, set()  # named sites: only a pass over every meter learns who is heard
        bridge_before, bridge_after = (start - self.bridge_ms, start), (end, end + self.bridge_ms)
        before = src.counter_context(utility, field, bridge_before, CONTEXT_BEFORE, True, named)
        heard = {site for site, _m in before} | {site for site, _m in inside}
        if not inside:
            return {}, heard
        after = src.counter_context(utility, field, bridge_after, K, False, named)
        return {
            key: (before.get(key, []), series + after.get(key, []))
            for key, series in inside.items()
        }, heard

    def _tagged(
        self, usage: MeterUsage, out: Output, month: bool = False
    ) -> Iterator[tuple[str, int, Usage]]:
        """(escaped tags, period, usage) of each meter of a known site, in order;
        meters of sites not in the registry go to `out.unknown_sites`."""
        for (utility, site, meter, ts), u in sorted(usage.items()):
            tags = self._tag_set(utility, site, meter, month)
            if tags is None:
                out.unknown_sites.add(site)
            else:
                yield tags, ts, u

    def _tag_set(self, utility: str, site: str, meter: str, month: bool) -> str | None:
        """A meter's escaped tags (months: with their source), kept per meter while the
        same registry is in use: a pass writes each changed meter's hour, day and month,
        and escaping them again was a sixth of a steady pass."""
        key = (id(self.sites), len(self.sites), id(self.placement))
        if self._tag_sets[0] != key:
            self._tag_sets = (key, {})
        kept = self._tag_sets[1]
        found = kept.get((utility, site, meter, month))
        if found is None:
            found = self._escaped_tags(utility, site, meter, month)
            if found is None:
                return None
            kept[(utility, site, meter, month)] = found
        return found

    def _escaped_tags(self, utility: str, site: str, meter: str, month: bool) -> str | None:
        """`tag_set` of a counter meter's tags: its site, and the district, dong and
        building type of where it counts (a household's imported register: the
        household's); months with their source. Built in key order from parts, the
        place's escaped once: escaping six tags per meter and period was a fifth of a
        pass of meters seen for the first time."""
        info = self.sites.get(site)
        if info is None:
            return None
        place = self.placement.counter(site, meter)
        at = place.info if place is not None else info
        source = ""
        if month:
            source = tag(TAG_SOURCE, place.source if place is not None else SOURCE_METER)
        return (
            _where(at.district, at.dong, at.building_type)
            + tag(TAG_METER, meter)
            + tag(TAG_SITE, site)
            + source
            + tag(TAG_UTILITY, utility)
        )

    def meter_points(self, measurement: str, usage: MeterUsage) -> Output:
        """The private per-meter points of `usage`."""
        out = Output()
        name = escape_measurement(measurement)
        for tags, ts, u in self._tagged(usage, out):
            out.private.append(_meter_point(measurement, name + tags, ts, u))
        return out

    def month_points(self, usage: MeterUsage) -> Output:
        """Counter meters' KST months (source `meter`, or `interval` for a household's
        imported register: placement.py; never apportioned)."""
        out = Output()
        name = escape_measurement(METER_CONSUMPTION_1MO)
        for tags, ts, u in self._tagged(usage, out, month=True):
            fields = {"consumption": float(u.consumption), FIELD_APPORTIONED: 0}
            out.private.append(point(name + tags, fields, ts))
        return out

    def cell_points(self, measurement: str, cells: dict[CellKey, Cell]) -> Output:
        """Per-group points with CO2e from kept cells (books.py), each period decided with
        the version published before (kept, or read back from its private points)."""
        if self.partition is not None:
            return self._partition_points(measurement, cells)
        periods = sorted({(u, ts) for u, ts, _g in cells})
        if measurement == CONSUMPTION_1D:  # a day is protected with its hours
            self._recall(CONSUMPTION_1H, [(u, h) for u, d in periods for h in hours_of_day(d)])
        if measurement == CONSUMPTION_1MO:  # a month with its days
            self._recall(CONSUMPTION_1D, [(u, d) for u, m in periods for d in days_of_month(m)])
        self._recall(measurement, periods)
        return group_points(
            measurement,
            cells,
            self.rules,
            self._consumption_fields,
            self.patterns,
            self.now_ms,
            self.fingerprint(),
            self.any_simulated(),
        )

    def _recall(self, measurement: str, periods: list[tuple[str, int]]) -> None:
        """Versions of periods this process has not decided yet (after a restart, or an
        old period reached by an import), from the store: once per period."""
        missing = [
            p
            for p in periods
            if (measurement, *p) not in self.recalled
            and self.patterns.version(measurement, *p) is None
        ]
        if not missing or measurement == LIVE_1M:
            return
        if len(self.recalled) > RECALLED_MAX:
            self.recalled.clear()
        self.recalled.update((measurement, *p) for p in missing)
        found = self.source.group_versions(measurement, missing, self.fingerprint())
        for (utility, ts), version in found.items():
            self.patterns.recall(measurement, utility, ts, version)

    def meter_days(self, days: list[int], sites: Sites) -> MeterUsage:
        """Per meter and KST day, summed from the stored hourly meter points."""
        return {
            (d.utility, d.site, d.meter, d.ts): Usage(d.consumption, d.resets, d.glitches, d.spikes)
            for d in self.source.meter_days(days[0], days[-1] + DAY_MS, sites)
            if d.ts in days
        }

    def events(self, events: MeterEvents) -> list[str]:
        return [_event_point(*e) for e in events]

    def _consumption_fields(self, utility: str, total: float) -> dict[str, float]:
        return {"consumption": total, "co2e_kg": self.factors.kg(utility, total)}


def revised_before(
    context: list[tuple[int, float]], verdicts: dict[int, Settled], rate: float
) -> int | None:
    """The oldest context reading whose verdict differs with the window's readings
    (`verdicts`: every reading's, the context's and the window's, state.start)
    from its verdict on the context alone (None: the context stands)."""
    if not context:
        return None
    changed = [v.ts for v in settle(context, rate) if verdicts.get(v.ts, v) != v]
    return min(changed) if changed else None


# tag_set sorts by key: the parts of _escaped_tags, concatenated, follow that order.
_TAG_ORDER = (
    TAG_BUILDING_TYPE,
    TAG_DISTRICT,
    TAG_DONG,
    TAG_METER,
    TAG_SITE,
    TAG_SOURCE,
    TAG_UTILITY,
)
assert list(_TAG_ORDER) == sorted(_TAG_ORDER)


@lru_cache(maxsize=4096)
def _where(district: str, dong: str, building_type: str) -> str:
    return tag(TAG_BUILDING_TYPE, building_type) + tag(TAG_DISTRICT, district) + tag(TAG_DONG, dong)


def _meter_point(measurement: str, series_key: str, ts: int, u: Usage) -> str:
    fields: dict[str, float | int] = {
        "consumption": float(u.consumption),
        "resets": int(u.resets),
        "glitches": int(u.glitches),
        "spikes": int(u.spikes),
    }
    if measurement == METER_CONSUMPTION_1H:
        fields["pending"] = int(u.pending)
    return point(series_key, fields, ts)


def _event_point(utility: str, site: str, meter: str, field: str, e: Settled) -> str:
    """One point per event; the same reading settled again overwrites it."""
    tags = {TAG_SITE: site, TAG_METER: meter, TAG_UTILITY: utility, TAG_FIELD: field}
    values = {
        "kind": e.kind.value,
        "value": float(e.value),
        "previous": float(e.previous),
        "amount": float(e.amount),
    }
    return line(COUNTER_EVENTS, tags, values, e.ts)
