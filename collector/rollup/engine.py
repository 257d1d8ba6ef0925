"""The rollup loop: what each pass recomputes, and the cursors.

A regular pass handles only what arrived since the last one: the sites
named by the collectors' arrival markers (touched.py). A site whose new
readings all follow what this process took of it, recently, is resumed from
its meters' kept states (state.py, no raw re-read); any other site is
recomputed from raw readings from the hour of its oldest new reading to now,
with the counter context around that window (compute.py), and from further
back when that changes the verdict of a reading before the window. Then the
group layer updates the kept group cells of the meters that changed and
writes the touched hours' and days' group points (layer.py), and live
minutes are recomputed where new readings fall. Cost follows new readings,
not meters × lookback; a replayed outbox lands in the hours of its readings
because its markers name them.

Without an arrival cursor (the first pass, or back after more than
max_catchup), or when the registry, k or the emission factors changed since
the last pass (a fingerprint stored with the cursor), a pass recomputes
every meter over [now - lookback, now) floored to the hour, reaching back to
the watermark (end of the last completed full window) after downtime and to
an agent's reported outbox backlog, in chunks. Rewriting a point with the
same measurement, tags and timestamp overwrites it (idempotent). A
`withheld` marker (complementary suppression) of a group that this pass
publishes is rewritten as `published`.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from collector.rollup.aggregate import Output
from collector.rollup.compute import Computer, MeterUsage
from collector.rollup.heap import Heap
from collector.rollup.imported import Imports, Job
from collector.rollup.layer import GroupLayer
from collector.rollup.partition import encode_touched
from collector.rollup.periods import hour_of, minute_of
from collector.rollup.sink import Sink
from collector.rollup.snapshot import Saved, Snapshots
from collector.rollup.source import WATERMARK, Arrival, PublicMarkers, RawSource
from collector.rollup.touched import ArrivalLog, Touched
from collector.rollup.writer import Buckets, Writer
from telemetry.influx_schema import (
    JOB_ARRIVALS,
    JOB_PASS,
    JOB_ROLLUP,
    METER_CONSUMPTION_1H,
    TAG_JOB,
    TAG_PARTITION,
)
from telemetry.lineproto import line

log = logging.getLogger("collector.rollup")


@dataclass
class PassReport:
    start_ms: int
    end_ms: int
    private_points: int = 0
    public_points: int = 0
    unknown_sites: int = 0
    full: bool = False  # no arrival cursor: every meter over the lookback
    markers: int = 0  # arrival markers taken
    touched_sites: int = 0
    interval_markers: int = 0  # interval_arrivals taken (imported history)
    resumed_sites: int = 0  # taken from their kept state, without re-reading raw
    unknown: set[str] = field(default_factory=set)
    seconds: dict[str, float] = field(default_factory=dict)  # wall clock per phase

    def timed(self, phase: str, began: float) -> None:
        self.seconds[phase] = self.seconds.get(phase, 0.0) + time.perf_counter() - began

    def phases(self) -> str:
        """The log's account of where the pass's time went (the city bench reads it)."""
        spent = ", ".join(f"{k} {v:.2f}" for k, v in self.seconds.items())
        return f"{sum(self.seconds.values()):.2f} s ({spent})" if spent else "0 s"


@dataclass(frozen=True)
class Windows:
    lookback_ms: int
    live_lookback_ms: int
    max_catchup_ms: int
    chunk_ms: int
    arrival_slack_ms: int = 120_000
    live_catchup_ms: int | None = None  # None: max_catchup_ms

    def live_oldest(self, now_ms: int) -> int:
        """The oldest minute a pass computes live figures for (late readings)."""
        reach = self.max_catchup_ms if self.live_catchup_ms is None else self.live_catchup_ms
        return now_ms - min(reach, self.max_catchup_ms)


MAX_REDO = 4  # times a window may reach further back for verdicts it revised
RESUME_WITHIN_MS = 10 * 60_000  # older new readings are recomputed from raw, not resumed


class Engine:
    def __init__(
        self,
        computer: Computer,
        source: RawSource,
        sink: Sink,
        buckets: Buckets,
        windows: Windows,
        clock: Callable[[], float] = time.time,
        markers: PublicMarkers | None = None,
        heap: Heap | None = None,
        snapshots: Snapshots | None = None,
    ) -> None:
        self.computer = computer
        self.heap = heap  # a long-running process's: its state frozen after each pass
        self.snapshots = snapshots  # meter states on disk (snapshot.py)
        self._snapshot_tried = False  # taken at the first pass only
        self._completed: tuple[int, str] | None = None  # the last pass whose states hold
        self.source = source
        self.sink = sink
        self.buckets = buckets
        self.w = windows
        self.clock = clock
        self.markers = markers
        self.writer = Writer(sink, buckets, markers)
        part = computer.partition
        self.part_tags = {TAG_PARTITION: part.name} if part is not None else {}
        self.log = ArrivalLog()
        self.interval_log = ArrivalLog()
        self.imports = Imports(source, computer.placement)
        self.groups = GroupLayer(computer, source)
        self._now_ms = 0  # the running pass's now: a window ending there keeps meter states

    def plan(self, now_ms: int) -> int:
        """Where a full pass starts (an hour boundary)."""
        oldest = now_ms - self.w.max_catchup_ms
        start = now_ms - self.w.lookback_ms
        mark = self.source.watermark(oldest, now_ms)
        if mark is not None:
            start = min(start, mark)
        backlog_ms = int(self.source.outbox_backlog_s(now_ms - self.w.lookback_ms, now_ms) * 1000)
        start = min(start, now_ms - backlog_ms - 60_000 if backlog_ms else start)
        return hour_of(max(start, oldest))

    def run_pass(self) -> PassReport:
        """Recompute what arrived since the arrival cursor (or everything: run_full)."""
        now_ms = self._now_ms = self.computer.now_ms = int(self.clock() * 1000)
        self.source.now_ms = now_ms
        found = self.source.arrival_cursor(now_ms - self.w.max_catchup_ms, now_ms)
        fingerprint = self.computer.fingerprint()
        full = found is None or found[1] != fingerprint
        since = (now_ms if found is None else found[0]) - self.w.arrival_slack_ms
        resumed_at = self._resume_states(found, fingerprint, now_ms)
        if resumed_at is not None and not full:
            # Markers taken after the snapshot are fed to its states again (not skipped).
            since = min(since, resumed_at - self.w.arrival_slack_ms)
        # A full pass takes the interval markers of max_catchup (imports are rare).
        isince = now_ms - self.w.max_catchup_ms if full else since
        try:
            began = time.perf_counter()
            touched = self.log.take(self._ours(self.source.arrivals(since, now_ms)))
            self.source.handed.take(touched.handed, now_ms)
            imported = self.interval_log.take(
                self._ours(self.source.interval_arrivals(isince, now_ms))
            )
            marked = time.perf_counter()
            report = self.run_full(now_ms) if full else self._incremental(touched, now_ms)
            report.seconds = {"markers": marked - began, **report.seconds}
            if full:
                report.timed("full", marked)
            began = time.perf_counter()
            self._imports(imported, report, now_ms)
            report.timed("imports", began)
        except BaseException:
            # Part of this pass may be in memory but not stored: forget it all, so
            # that the next pass takes the same markers again and recomputes from raw.
            self.sink.drain()
            self.reset()
            raise
        self.log.forget_before((since - self.w.arrival_slack_ms) * 1_000_000)
        self.interval_log.forget_before((since - self.w.arrival_slack_ms) * 1_000_000)
        self.groups.forget_before(now_ms)
        if self.groups.born is None:
            self.groups.born = now_ms  # periods from here on are this process's alone
        cursor = {"until_ms": float(now_ms), "fingerprint": fingerprint}
        self._write_mark(line(WATERMARK, {TAG_JOB: JOB_ARRIVALS, **self.part_tags}, cursor, now_ms))
        if self.part_tags:
            self._passed(now_ms, fingerprint)
        log.info(
            "rollup %s..%s%s: %d markers, %d interval markers, %d sites (%d resumed), "
            "%d private, %d public points; %s",
            report.start_ms,
            now_ms,
            " (full)" if report.full else "",
            report.markers,
            report.interval_markers,
            report.touched_sites,
            report.resumed_sites,
            report.private_points,
            report.public_points,
            report.phases(),
        )
        if report.unknown:
            log.warning("readings of sites not in the registry skipped: %s", sorted(report.unknown))
        report.unknown_sites = len(report.unknown)
        if self.heap is not None:
            self.heap.settle()
        self._completed = (now_ms, fingerprint)
        if self.snapshots is not None and self.snapshots.due():
            self.snapshots.save_in_background(self._saved(now_ms, fingerprint))
        return report

    def _resume_states(
        self, found: tuple[int, str] | None, fingerprint: str, now_ms: int
    ) -> int | None:
        """At a process's first pass: the meter states saved by the process before it,
        when they belong to its cursor and registry (snapshot.py); their time, or None."""
        if self.snapshots is None or self._snapshot_tried:
            return None
        self._snapshot_tried = True
        saved = self.snapshots.load()
        if saved is None:
            return None
        why = ""
        if found is None:
            why = "no arrival cursor: this pass recomputes every meter"
        elif saved.fingerprint != fingerprint or found[1] != fingerprint:
            why = "saved under another registry or other rules"
        elif saved.until_ms > found[0]:
            why = "newer than the arrival cursor (its pass's cursor was not stored)"
        elif saved.until_ms < now_ms - self.w.max_catchup_ms:
            why = "older than max_catchup"
        if why:
            log.info("meter states in %s not taken: %s", self.snapshots.path, why)
            return None
        c = self.computer
        c.states, c.site_last, c.quiet = saved.states, saved.site_last, saved.quiet
        self.log.restore(saved.taken)
        log.info(
            "meter states of %d meters taken from %s (saved at %d)",
            len(saved.states),
            self.snapshots.path,
            saved.until_ms,
        )
        return saved.until_ms

    def _saved(self, until_ms: int, fingerprint: str) -> Saved:
        c = self.computer
        return Saved(until_ms, fingerprint, c.states, c.site_last, c.quiet, self.log.taken)

    def save_states(self) -> None:
        """At shutdown: the meter states of the last completed pass, written now."""
        if self.snapshots is None or self._completed is None:
            return
        self.snapshots.wait()
        self.snapshots.save(self._saved(*self._completed))
        log.info(
            "meter states of %d meters saved to %s", len(self.computer.states), self.snapshots.path
        )

    def _ours(self, arrivals: list[Arrival]) -> list[Arrival]:
        """A worker's: markers of other partitions' sites left out."""
        outside = self.computer.outside
        return [a for a in arrivals if a.site not in outside] if outside else arrivals

    def reset(self) -> None:
        """Forget the taken markers, meter states and group cells (rebuilt as needed)."""
        self.log = ArrivalLog()
        self.interval_log = ArrivalLog()
        self.computer.states.clear()
        self.computer.site_last.clear()
        self.computer.quiet.clear()
        self._completed = None  # nothing to save until a pass completes again
        self.computer.touched.clear()
        self.source.handed.reset()
        self.groups = GroupLayer(self.computer, self.source)

    def run_full(self, now_ms: int) -> PassReport:
        """Every meter from plan() to now in chunks; the watermark advances after each."""
        start = self.plan(now_ms)
        report = PassReport(start, now_ms, full=True)
        # Catching up (start before the usual lookback): live minutes from there too.
        behind = start < hour_of(now_ms - self.w.lookback_ms)
        live_lookback = min(self.w.live_lookback_ms, self.w.lookback_ms)
        live_from = max(start, self.w.live_oldest(now_ms)) if behind else now_ms - live_lookback
        while start < now_ms:
            end = min(start + self.w.chunk_ms, now_ms)
            written = self._meters(start, end, None, report)
            self.groups.update(written, lambda out: self._store(out, report))
            live = minute_of(max(start, live_from))
            if live < end:
                self._store(self.computer.live(live, end), report)
            self._mark(end, now_ms)
            start = end
        return report

    def _incremental(self, touched: Touched, now_ms: int) -> PassReport:
        oldest = now_ms - self.w.max_catchup_ms
        fresh, stale = self._split(touched, now_ms)
        report = PassReport(now_ms, now_ms)
        report.markers, report.touched_sites = touched.markers, len(touched.sites)
        written: MeterUsage = {}
        live_oldest = max(oldest, self.w.live_oldest(now_ms))
        minutes = touched.minute_spans(live_oldest, now_ms)
        began = time.perf_counter()
        if fresh:
            report.resumed_sites = len(fresh)
            # The live minutes' rates are read with the new counters, as far back as
            # resumed sites reach (older minutes of late sites are read on their own).
            rates_from = max(minutes[0][0], now_ms - RESUME_WITHIN_MS) if minutes else None
            usage, events, redo = self.computer.feed(fresh, now_ms, rates_from)
            out = self.computer.meter_points(METER_CONSUMPTION_1H, usage)
            out.private.extend(self.computer.events(events))
            self._store(out, report)
            written.update(usage)
            stale.sites.update((site, (t0, t0)) for site, t0 in redo.items())
            report.resumed_sites -= len(redo)
            report.timed("resumed", began)
        began = time.perf_counter()
        for start, sites in stale.windows(oldest):
            report.start_ms = min(report.start_ms, start)
            written.update(self._meters(start, now_ms, sites, report))
        report.timed("recomputed", began)
        began = time.perf_counter()
        self.groups.update(written, lambda out: self._store(out, report))
        report.timed("groups", began)
        began = time.perf_counter()
        for start, end in minutes:
            self._store(self.computer.live(start, end), report)
        report.timed("live", began)
        began = time.perf_counter()
        self._mark(now_ms, now_ms)  # waits for the pass's pending writes
        report.timed("stored", began)
        return report

    def _imports(self, touched: Touched, report: PassReport, now_ms: int) -> None:
        """Imported intervals: the touched sites' KST months (a full pass: every
        site's months of its window), their meter points, then the periods' groups."""
        report.interval_markers = touched.markers
        jobs: list[Job] = [(site, t0, t1) for site, (t0, t1) in sorted(touched.sites.items())]
        if report.full:
            jobs.append((None, report.start_ms, now_ms))
        if not jobs:
            return
        out, figures = self.imports.recompute(jobs)
        self._store(out, report)
        self.groups.imports(figures, lambda o: self._store(o, report))

    def _split(self, touched: Touched, now_ms: int) -> tuple[dict[str, tuple[int, int]], Touched]:
        """Sites whose new readings all follow what was taken of them, recently (resumed
        from their state), and the others (recomputed from raw readings)."""
        recent = now_ms - RESUME_WITHIN_MS
        fresh: dict[str, tuple[int, int]] = {}
        stale = Touched()
        for site, (t0, t1) in touched.sites.items():
            if self.computer.resumable(site, t0, recent):
                fresh[site] = (t0, t1)
            else:
                stale.sites[site] = (t0, t1)
        return fresh, stale

    def _meters(
        self, start: int, end: int, sites: list[str] | None, report: PassReport, depth: int = 0
    ) -> MeterUsage:
        """Per-meter hours and events of [start, end); the figures written. A window
        ending now keeps each meter's state for the next pass."""
        written: MeterUsage = {}
        earlier: dict[str, int] = {}
        for chunk in range(start, end, self.w.chunk_ms):
            chunk_end = min(chunk + self.w.chunk_ms, end)
            usage, events, revised = self.computer.meter_hours(
                chunk, chunk_end, sites, keep=chunk_end >= self._now_ms
            )
            out = self.computer.meter_points(METER_CONSUMPTION_1H, usage)
            out.private.extend(self.computer.events(events))
            self._store(out, report)
            written.update(usage)
            earlier.update((s, t) for s, t in revised.items() if t < start)
        oldest = end - self.w.max_catchup_ms
        redo: dict[int, list[str]] = defaultdict(list)
        for site, ts in earlier.items():
            if hour_of(ts) < start and ts >= oldest:
                redo[hour_of(ts)].append(site)
        if depth < MAX_REDO:
            for hour, again in sorted(redo.items()):
                written.update(self._meters(hour, end, sorted(again), report, depth + 1))
        return written

    def _store(self, out: Output, report: PassReport) -> None:
        self.writer.store(out)
        report.private_points += len(out.private)
        report.public_points += len(out.public)
        report.unknown |= out.unknown_sites

    def _write_mark(self, point: str) -> None:
        self.writer.mark(point)

    def _mark(self, until_ms: int, now_ms: int) -> None:
        # The current minute may still grow: the next full pass starts no later than it.
        until = min(minute_of(until_ms), minute_of(now_ms))
        tags = {TAG_JOB: JOB_ROLLUP, **self.part_tags}
        self._write_mark(line(WATERMARK, tags, {"until_ms": float(until)}, now_ms))

    def _passed(self, now_ms: int, fingerprint: str) -> None:
        """A worker's completed pass, for the merge: when, and the periods it touched."""
        touched = encode_touched(self.computer.touched)
        self.computer.touched.clear()
        fields = {"until_ms": float(now_ms), "fingerprint": fingerprint, "touched": touched}
        self._write_mark(line(WATERMARK, {TAG_JOB: JOB_PASS, **self.part_tags}, fields, now_ms))
