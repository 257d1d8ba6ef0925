"""The programme evaluation as first written, row by row: the reference the faster estimator
(`insights/programme_eval.py`, per cell and every bootstrap replicate at once) must equal.

Panel: one Python pass over the rows. Fit: household and cell-month effects by alternating
projections on the untreated rows of the drawn households (a household drawn twice is two
households). Bootstrap: one refit per replicate, the same draws from the same generator.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from insights.programme_inputs import MonthlyUse, Subject
from insights.programme_panel import month_index

OPEN = 10**6


@dataclass(frozen=True)
class Rows:
    households: int
    enrolled: np.ndarray
    offset: np.ndarray
    count: np.ndarray
    log_use: np.ndarray
    cell_month: np.ndarray
    untreated: np.ndarray
    target: np.ndarray
    cell_of_month: np.ndarray


@dataclass(frozen=True)
class Fit:
    effect: float
    months: int
    treated: int
    controls: int


def _kind(subject: Subject, programme: str, m: int) -> tuple[bool, bool]:
    own, other = [], []
    for e in subject.enrolments:
        span = (month_index(e.start), month_index(e.end) if e.end else OPEN)
        (own if e.programme == programme else other).append(span)
    if m < min((a for a, _ in own + other), default=OPEN):
        return True, False
    inside = any(a < m <= b for a, b in own)
    busy = any(a <= m <= b for a, b in other)
    return False, inside and not busy


def panel(programme: str, subjects: Sequence[Subject], rows: list[MonthlyUse]) -> Rows:
    index = {s.id: i for i, s in enumerate(subjects)}
    kept = sorted(
        (index[r.household], month_index(r.month), r.consumption)
        for r in rows
        if r.household in index and r.consumption > 0
    )
    present = sorted({h for h, _, _ in kept})
    local = {h: i for i, h in enumerate(present)}
    cells: dict[tuple[str, str], int] = {}
    cell_months: dict[tuple[int, int], int] = {}
    hh, cm, log_use, untreated, target = [], [], [], [], []
    for h, m, used in kept:
        cell = cells.setdefault(subjects[h].cell, len(cells))
        hh.append(local[h])
        cm.append(cell_months.setdefault((cell, m), len(cell_months)))
        log_use.append(np.log(used))
        u, t = _kind(subjects[h], programme, m)
        untreated.append(u)
        target.append(t)
    count = np.bincount(np.array(hh, dtype=np.int64), minlength=len(present))
    cell_of_month = np.empty(len(cell_months), dtype=np.int64)
    for (cell, _), j in cell_months.items():
        cell_of_month[j] = cell
    own = [any(e.programme == programme for e in subjects[h].enrolments) for h in present]
    return Rows(
        len(present),
        np.array(own, dtype=bool),
        np.cumsum(count) - count,
        count,
        np.array(log_use),
        np.array(cm, dtype=np.int64),
        np.array(untreated, dtype=bool),
        np.array(target, dtype=bool),
        cell_of_month,
    )


def fit(p: Rows, draw: np.ndarray) -> Fit:
    counts = p.count[draw]
    first_out = np.cumsum(counts) - counts
    rows = np.repeat(p.offset[draw] - first_out, counts) + np.arange(int(counts.sum()))
    hh = np.repeat(np.arange(len(draw)), counts)
    y, cm, treated, untreated = (
        p.log_use[rows],
        p.cell_month[rows],
        p.target[rows],
        p.untreated[rows],
    )
    alpha, gamma, has_a, has_g = _two_way(
        y[untreated], hh[untreated], cm[untreated], len(draw), len(p.cell_of_month)
    )
    usable = treated & has_a[hh] & has_g[cm]
    if not usable.any():
        return Fit(0.0, 0, 0, 0)
    gap = y[usable] - alpha[hh[usable]] - gamma[cm[usable]]
    in_cells = np.isin(p.cell_of_month[cm], np.unique(p.cell_of_month[cm[usable]]))
    control = untreated & ~p.enrolled[draw][hh] & in_cells
    return Fit(
        float(gap.mean()),
        int(usable.sum()),
        len(np.unique(hh[usable])),
        len(np.unique(hh[control])),
    )


def _two_way(
    y: np.ndarray, hh: np.ndarray, cm: np.ndarray, n_hh: int, n_cm: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    count_h, count_c = np.bincount(hh, minlength=n_hh), np.bincount(cm, minlength=n_cm)
    safe_h, safe_c = np.maximum(count_h, 1), np.maximum(count_c, 1)
    alpha = np.bincount(hh, y, minlength=n_hh) / safe_h
    gamma = np.zeros(n_cm)
    for _ in range(20_000):  # converged far past the estimator's precision
        gamma = np.bincount(cm, y - alpha[hh], minlength=n_cm) / safe_c
        new_alpha = np.bincount(hh, y - gamma[cm], minlength=n_hh) / safe_h
        moved = float(np.abs(new_alpha - alpha).max()) if n_hh else 0.0
        alpha = new_alpha
        if moved < 1e-13:
            break
    return alpha, gamma, count_h > 0, count_c > 0


def bootstrap(p: Rows, replicates: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    enrolled, others = np.flatnonzero(p.enrolled), np.flatnonzero(~p.enrolled)
    out = []
    for _ in range(replicates):
        draw = np.concatenate(
            [rng.choice(enrolled, len(enrolled)), rng.choice(others, len(others))]
        )
        f = fit(p, draw)
        if f.months:
            out.append(f.effect)
    return np.asarray(out)
