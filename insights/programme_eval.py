"""Did a programme save energy? Difference-in-differences by imputation, per utility.

The question, per programme and utility: by how much did enrolled households'
monthly use change after they enrolled, compared with what it would have been?
"What it would have been" comes from households that were not (yet) in any
programme in the same comparison cell (administrative dong × building type)
and the same months:

    log(use[i, m]) = household[i] + cell_month[cell(i), m] + noise

is fitted on untreated household-months only (every month of never-enrolled
households, and enrolled households' months before their first enrolment),
then each enrolled household-month after its enrolment month is compared with
its imputed untreated value. The effect is the mean log difference, reported
as a percentage change (negative: a saving). Household effects absorb that
enrolled households use more or less to begin with; cell × month effects
absorb seasons, weather and prices where they live. Fitting on untreated
months only keeps staggered enrolment dates from biasing the estimate when
the effect grows or shrinks over time (the imputation estimator of
Borusyak, Jaravel and Spiess). The month of enrolment itself is left out
(partly before, partly after), as are months after an enrolment ended and
months with no use (the log needs use > 0).

The interval is a cluster bootstrap over households: enrolled and comparison
households are resampled with replacement (separately, so that every
replicate has both), the model is refitted, and the percentile interval of
the replicates is reported. Below k enrolled or k comparison households the
figures are withheld (privacy rule).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from insights.programme_inputs import MonthlyUse, Subject
from insights.programme_panel import Panel, build_panel

METHOD = (
    "difference-in-differences by imputation: log monthly use with household and "
    "cell (dong x building type) x month effects fitted on untreated months; "
    "cluster bootstrap over households"
)


@dataclass(frozen=True, slots=True)
class Estimate:
    programme: str
    utility: str
    status: str  # ok, suppressed, no_data
    reason: str | None
    enrolled_households: int
    comparison_households: int
    enrolled_months: int
    change_pct: float | None = None
    ci_low_pct: float | None = None
    ci_high_pct: float | None = None
    level: float = 0.95
    replicates: int = 0


def evaluate(
    programme: str,
    subjects: Sequence[Subject],
    uses: Iterable[MonthlyUse],
    *,
    k: int,
    replicates: int = 200,
    level: float = 0.95,
    seed: int = 0,
) -> list[Estimate]:
    """One estimate per utility found in `uses`, in utility order."""
    by_utility: dict[str, list[MonthlyUse]] = {}
    for use in uses:
        by_utility.setdefault(use.utility, []).append(use)
    return [
        _evaluate_utility(programme, utility, subjects, rows, k, replicates, level, seed)
        for utility, rows in sorted(by_utility.items())
    ]


def _evaluate_utility(
    programme: str,
    utility: str,
    subjects: Sequence[Subject],
    rows: list[MonthlyUse],
    k: int,
    replicates: int,
    level: float,
    seed: int,
) -> Estimate:
    panel = build_panel(programme, subjects, rows)
    point = _fit(panel, np.arange(panel.households))
    treated, controls = point.treated, point.controls
    head = dict(
        programme=programme,
        utility=utility,
        enrolled_households=treated,
        comparison_households=controls,
        enrolled_months=point.months,
        level=level,
    )
    if point.months == 0:
        return Estimate(status="no_data", reason=_NO_DATA, **head)  # type: ignore[arg-type]
    if treated < k or controls < k:
        reason = (
            f"privacy rule: fewer than k={k} enrolled or comparison households, "
            "so the figures are withheld"
        )
        return Estimate(status="suppressed", reason=reason, **head)  # type: ignore[arg-type]
    draws = _bootstrap(panel, replicates, seed)
    tail = (1 - level) / 2
    low, high = np.quantile(draws, [tail, 1 - tail]) if len(draws) else (np.nan, np.nan)
    return Estimate(
        status="ok",
        reason=None,
        change_pct=_pct(point.effect),
        ci_low_pct=_pct(low),
        ci_high_pct=_pct(high),
        replicates=len(draws),
        **head,  # type: ignore[arg-type]
    )


_NO_DATA = (
    "no enrolled household has use both before its enrolment and after it in months "
    "where households of its dong and building type outside any programme report"
)


@dataclass(frozen=True, slots=True)
class _Fit:
    effect: float  # mean log difference over imputable enrolled months
    months: int
    treated: int
    controls: int


def _fit(panel: Panel, draw: np.ndarray) -> _Fit:
    """The imputation estimate on the households `draw` (indices, repeats allowed)."""
    rows, hh = panel.rows_of(draw)
    y, cm, treated = panel.log_use[rows], panel.cell_month[rows], panel.target[rows]
    untreated = panel.untreated[rows]
    n_cm = len(panel.cell_of_month)
    alpha, gamma, has_a, has_g = _two_way(
        y[untreated], hh[untreated], cm[untreated], len(draw), n_cm
    )
    usable = treated & has_a[hh] & has_g[cm]
    if not usable.any():
        return _Fit(0.0, 0, 0, 0)
    gap = y[usable] - alpha[hh[usable]] - gamma[cm[usable]]
    cells = np.unique(panel.cell_of_month[cm[usable]])
    in_cells = np.isin(panel.cell_of_month[cm], cells)
    control_hh = untreated & ~panel.enrolled[draw][hh] & in_cells
    return _Fit(
        effect=float(gap.mean()),
        months=int(usable.sum()),
        treated=len(np.unique(hh[usable])),
        controls=len(np.unique(hh[control_hh])),
    )


def _two_way(
    y: np.ndarray, hh: np.ndarray, cm: np.ndarray, n_hh: int, n_cm: int, tol: float = 1e-10
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Household and cell-month effects by alternating projections (least squares)."""
    count_h = np.bincount(hh, minlength=n_hh)
    count_c = np.bincount(cm, minlength=n_cm)
    safe_h, safe_c = np.maximum(count_h, 1), np.maximum(count_c, 1)
    alpha = np.bincount(hh, y, minlength=n_hh) / safe_h
    gamma = np.zeros(n_cm)
    for _ in range(500):
        gamma = np.bincount(cm, y - alpha[hh], minlength=n_cm) / safe_c
        new_alpha = np.bincount(hh, y - gamma[cm], minlength=n_hh) / safe_h
        moved = float(np.abs(new_alpha - alpha).max()) if n_hh else 0.0
        alpha = new_alpha
        if moved < tol:
            break
    return alpha, gamma, count_h > 0, count_c > 0


def _bootstrap(panel: Panel, replicates: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    enrolled = np.flatnonzero(panel.enrolled)
    others = np.flatnonzero(~panel.enrolled)
    out = []
    for _ in range(replicates):
        draw = np.concatenate(
            [rng.choice(enrolled, len(enrolled)), rng.choice(others, len(others))]
        )
        fit = _fit(panel, draw)
        if fit.months:
            out.append(fit.effect)
    return np.asarray(out)


def _pct(log_effect: float) -> float:
    return round(float(np.expm1(log_effect)) * 100, 2)


CSV_COLUMNS = (
    "programme",
    "utility",
    "status",
    "enrolled_households",
    "comparison_households",
    "enrolled_months",
    "change_pct",
    "ci_low_pct",
    "ci_high_pct",
    "level",
    "replicates",
    "reason",
)


def estimates_csv(estimates: Iterable[Estimate]) -> str:
    """The estimates as CSV (one row per utility; empty cells where figures are withheld)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for e in estimates:
        writer.writerow(["" if (v := getattr(e, c)) is None else v for c in CSV_COLUMNS])
    return out.getvalue()
