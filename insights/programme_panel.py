"""The household × month panel that a programme evaluation fits: arrays, one row per month.

Each row of use is classified once: `untreated` (the household is in no
programme yet), `target` (an enrolled household after its enrolment month,
in no other programme that month) or neither (the enrolment month, months
after an enrolment ended, months inside another programme).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import attrgetter

import numpy as np

from insights.programme_inputs import MonthlyUse, Subject

_OPEN = 10**6  # a month index after any real one: an enrolment without end


@dataclass(frozen=True)
class Panel:
    households: int
    enrolled: np.ndarray  # per household: enrolled in the programme evaluated
    offset: np.ndarray  # per household: its first row (rows are sorted by household)
    count: np.ndarray  # per household: its rows
    log_use: np.ndarray  # per row
    cell_month: np.ndarray  # per row: index of (cell, month)
    untreated: np.ndarray  # per row
    target: np.ndarray  # per row
    cell_of_month: np.ndarray  # per (cell, month) index: its cell's index


def month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def build_panel(programme: str, subjects: Sequence[Subject], rows: list[MonthlyUse]) -> Panel:
    """Rows of households among `subjects` with use > 0, sorted by household and month."""
    index = {s.id: i for i, s in enumerate(subjects)}
    dates = list(map(attrgetter("month"), rows))
    months = {d: month_index(d) for d in set(dates)}
    n = len(rows)  # map() over C callables: no Python frame per row
    h = np.fromiter(map(index.get, map(attrgetter("household"), rows), repeat(-1)), np.int64, n)
    m = np.fromiter(map(months.__getitem__, dates), np.int64, n)
    used = np.fromiter(map(attrgetter("consumption"), rows), float, n)
    keep = (h >= 0) & (used > 0)
    h, m, used = h[keep], m[keep], used[keep]
    low = int(m.min()) if len(m) else 0
    span = int(m.max()) - low + 1 if len(m) else 1
    order = np.argsort(h * span + (m - low), kind="stable")  # one key sorts faster than lexsort
    h, m, used = h[order], m[order], used[order]
    present, hh = np.unique(h, return_inverse=True)
    cells: dict[tuple[str, str], int] = {}
    cell_of = np.array([cells.setdefault(s.cell, len(cells)) for s in subjects], dtype=np.int64)
    first = np.full(len(subjects), _OPEN, dtype=np.int64)
    own: list[tuple[int, int, int]] = []  # (subject, start month, end month)
    other: list[tuple[int, int, int]] = []
    for i, s in enumerate(subjects):
        for e in s.enrolments:
            a, b = month_index(e.start), month_index(e.end) if e.end else _OPEN
            (own if e.programme == programme else other).append((i, a, b))
            first[i] = min(first[i], a)
    key = cell_of[h] * span + (m - low)
    unique_keys, cell_month = np.unique(key, return_inverse=True)
    untreated = m < first[h]
    inside = _within(h, m, own, strict_start=True)
    busy = _within(h, m, other, strict_start=False)
    count = np.bincount(hh, minlength=len(present))
    enrolled = np.zeros(len(subjects), dtype=bool)
    enrolled[[i for i, _, _ in own]] = True
    return Panel(
        households=len(present),
        enrolled=enrolled[present],
        offset=np.cumsum(count) - count,
        count=count,
        log_use=np.log(used),
        cell_month=cell_month.reshape(-1),
        untreated=untreated,
        target=~untreated & inside & ~busy,
        cell_of_month=np.unique(unique_keys // span, return_inverse=True)[1].reshape(-1),
    )


def _within(
    h: np.ndarray, m: np.ndarray, spans: list[tuple[int, int, int]], *, strict_start: bool
) -> np.ndarray:
    """Per row (sorted by household h): its month m falls in one of its household's spans
    (start < m <= end, or start <= m <= end)."""
    out = np.zeros(len(h), dtype=bool)
    if not spans or not len(h):
        return out
    who, start, end = (np.array(c, dtype=np.int64) for c in zip(*spans, strict=True))
    first, last = np.searchsorted(h, who), np.searchsorted(h, who, side="right")
    lengths = last - first
    total = int(lengths.sum())
    rows = np.repeat(first - (np.cumsum(lengths) - lengths), lengths) + np.arange(total)
    start, end = np.repeat(start, lengths), np.repeat(end, lengths)
    after = start < m[rows] if strict_start else start <= m[rows]
    out[rows[after & (m[rows] <= end)]] = True
    return out
