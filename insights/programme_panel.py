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

    def rows_of(self, draw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rows of the drawn households and, per row, the position of its draw."""
        counts = self.count[draw]
        total = int(counts.sum())
        first_out = np.cumsum(counts) - counts
        rows = np.repeat(self.offset[draw] - first_out, counts) + np.arange(total)
        return rows, np.repeat(np.arange(len(draw)), counts)


def month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


@dataclass(frozen=True, slots=True)
class _Spans:
    first_start: int  # first enrolment month in any programme (_OPEN: none)
    own: list[tuple[int, int]]  # the programme's enrolments (start month, end month)
    other: list[tuple[int, int]]  # other programmes' enrolments

    def kind(self, m: int) -> tuple[bool, bool]:
        """(untreated, target) for month index m."""
        if m < self.first_start:
            return True, False
        inside = any(a < m <= b for a, b in self.own)
        busy = any(a <= m <= b for a, b in self.other)
        return False, inside and not busy


def _spans(subject: Subject, programme: str) -> _Spans:
    own, other = [], []
    for e in subject.enrolments:
        span = (month_index(e.start), month_index(e.end) if e.end else _OPEN)
        (own if e.programme == programme else other).append(span)
    first = min((a for a, _ in own + other), default=_OPEN)
    return _Spans(first, own, other)


def build_panel(programme: str, subjects: Sequence[Subject], rows: list[MonthlyUse]) -> Panel:
    index = {s.id: i for i, s in enumerate(subjects)}
    spans = [_spans(s, programme) for s in subjects]
    kept = sorted(
        (index[r.household], month_index(r.month), r.consumption)
        for r in rows
        if r.household in index and r.consumption > 0
    )
    present = sorted({h for h, _, _ in kept})
    local = {h: i for i, h in enumerate(present)}
    cells: dict[tuple[str, str], int] = {}
    cell_months: dict[tuple[int, int], int] = {}
    n = len(kept)
    hh, cm = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    log_use = np.empty(n)
    untreated, target = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    for i, (h, m, used) in enumerate(kept):
        cell = cells.setdefault(subjects[h].cell, len(cells))
        hh[i] = local[h]
        cm[i] = cell_months.setdefault((cell, m), len(cell_months))
        log_use[i] = np.log(used)
        untreated[i], target[i] = spans[h].kind(m)
    count = np.bincount(hh, minlength=len(present))
    cell_of_month = np.empty(len(cell_months), dtype=np.int64)
    for (cell, _), j in cell_months.items():
        cell_of_month[j] = cell
    return Panel(
        households=len(present),
        enrolled=np.array([bool(spans[h].own) for h in present], dtype=bool),
        offset=np.cumsum(count) - count,
        count=count,
        log_use=log_use,
        cell_month=cm,
        untreated=untreated,
        target=target,
        cell_of_month=cell_of_month,
    )
