"""bench_city's arithmetic, apart from the processes: rollup lag per reading, the
rollup's capacity, percentiles weighted by readings, headroom, the stop verdict.

A reading is rolled up (in `live_1m` and `consumption_1h`: one pass writes both)
when the first pass whose window ends after its arrival marker has completed: a
pass takes the markers stored before its own `now` (`collector.rollup.touched`).
The rollup's verbose log gives each pass's `now` (in its message) and when it
completed (the record's time), the markers give arrival time and readings.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

LAG_LIMIT_S, LIVE_LIMIT_S = 60.0, 120.0
_PASS = re.compile(r"^rollup (\d+)\.\.(\d+)")


@dataclass(frozen=True, slots=True)
class Pass:
    now_ms: int  # the pass takes markers stored before this
    done_ms: int  # when its points were written (log record time)


@dataclass(frozen=True, slots=True)
class Marker:
    at_ms: int  # when the collector stored the batch
    readings: int


def _pass_records(text: str) -> Iterator[tuple[dict, re.Match[str]]]:
    """The rollup's JSON log records (`-v`) that report a completed pass, with the match
    of their message's opening."""
    for raw in text.splitlines():
        try:
            record = json.loads(raw)
        except ValueError:
            continue
        found = _PASS.match(str(record.get("msg", "")))
        if found:
            yield record, found


def passes_from_log(text: str) -> list[Pass]:
    """Completed passes from the rollup's JSON log lines (`-v`), in order."""
    out = []
    for record, found in _pass_records(text):
        if "ts" in record:
            done = datetime.fromisoformat(record["ts"]).timestamp() * 1000
            out.append(Pass(int(found.group(2)), int(done)))
    return sorted(out, key=lambda p: p.now_ms)


_PHASE = re.compile(r"([a-z]+) (\d+(?:\.\d+)?)")
_SITES = re.compile(r"(\d+) sites \((\d+) resumed\)")


def phase_seconds(text: str, since_ms: int = 0) -> tuple[dict[str, float], int, int]:
    """Seconds per phase summed over the regular passes of the rollup's log whose
    window ends at `since_ms` or later, and their touched and resumed sites (full
    passes left out: the run's start)."""
    seconds: dict[str, float] = {}
    touched = resumed = 0
    for record, found in _pass_records(text):
        msg = str(record["msg"])
        if "(full)" in msg or " s (" not in msg or int(found.group(2)) < since_ms:
            continue
        for name, value in _PHASE.findall(msg.rsplit(" s (", 1)[1]):
            seconds[name] = seconds.get(name, 0.0) + float(value)
        if found := _SITES.search(msg):
            touched += int(found.group(1))
            resumed += int(found.group(2))
    return seconds, touched, resumed


def rollup_lags(markers: list[Marker], passes: list[Pass]) -> tuple[list[tuple[float, int]], int]:
    """(seconds from arrival to rolled up, readings) per marker, and the readings
    no completed pass took yet."""
    nows = [p.now_ms for p in passes]
    lags: list[tuple[float, int]] = []
    waiting = 0
    for m in markers:
        i = bisect.bisect_right(nows, m.at_ms)
        if i == len(passes):
            waiting += m.readings
        else:
            lags.append(((passes[i].done_ms - m.at_ms) / 1000, m.readings))
    return lags, waiting


def rollup_capacity(markers: list[Marker], passes: list[Pass]) -> float:
    """Readings per second of pass time: each pass's new readings over its duration
    (passes that took no readings are left out; 0 without any)."""
    nows = [p.now_ms for p in passes]
    taken = [0] * len(passes)
    for m in markers:
        i = bisect.bisect_right(nows, m.at_ms)
        if i < len(passes):
            taken[i] += m.readings
    busy = [(n, p.done_ms - p.now_ms) for n, p in zip(taken, passes, strict=True) if n]
    seconds = sum(ms for _n, ms in busy) / 1000
    return sum(n for n, _ms in busy) / seconds if seconds > 0 else 0.0


def weighted_percentile(pairs: list[tuple[float, int]], q: float) -> float:
    """The value below which a fraction q of the weight lies (pairs: value, weight)."""
    ordered = sorted(p for p in pairs if p[1] > 0)
    total = sum(w for _v, w in ordered)
    if not total:
        return float("nan")
    seen = 0
    for value, weight in ordered:
        seen += weight
        if seen >= q * total:
            return value
    return ordered[-1][0]


def verdict(collector_lag_p99: float | None, live_behind: float | None, rolled_p99: float) -> str:
    """Why a city does not fit ('' when it does): the collectors' lag or live_1m's."""
    if collector_lag_p99 is not None and collector_lag_p99 > LAG_LIMIT_S:
        return f"collector lag p99 {collector_lag_p99:.0f} s > {LAG_LIMIT_S:.0f} s"
    if live_behind is not None and live_behind > LIVE_LIMIT_S:
        return f"live_1m {live_behind:.0f} s behind the wall clock > {LIVE_LIMIT_S:.0f} s"
    if rolled_p99 > LIVE_LIMIT_S:  # NaN compares False: no figure, no verdict
        return f"rollup lag p99 {rolled_p99:.0f} s > {LIVE_LIMIT_S:.0f} s"
    return ""
