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

A month whose untreated value is not identified (in its cell only households
sharing no months with the enrolled household, directly or through others,
report it) is left out too.

The interval is a cluster bootstrap over households: enrolled and comparison
households are resampled with replacement (separately, so that every
replicate has both), the model is refitted, and the percentile interval of
the replicates is reported. Below k enrolled or k comparison households the
figures are withheld (privacy rule).

Computation: cells are independent (a household is in one), so each is
fitted on its own as dense household × month arrays, the household effects
eliminated exactly (`_solve`); a replicate is the households' draw counts
used as weights, so every replicate is solved at once instead of refitting
from resampled rows.
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
    cells = _cells(panel)
    point = _fit(panel, cells)
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
    draws = _bootstrap(panel, cells, replicates, seed)
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


@dataclass(frozen=True, slots=True)
class _Cell:
    """One comparison cell as dense household × cell-month arrays (a household is in one
    cell, and the model's cells are independent, so each is solved on its own)."""

    households: np.ndarray  # panel indices of its households
    n: np.ndarray  # per household: untreated months
    centred: np.ndarray  # household × month: untreated log use less the household's mean
    pattern: np.ndarray  # pattern × household: 1 where the household has that pattern
    patterns: np.ndarray  # pattern × month: its untreated rows (counts)
    laplace: np.ndarray  # per pattern of untreated months a: diag(a) - a aᵀ / Σa
    # the households with target months (with untreated months too), in cell order:
    treated: np.ndarray  # their positions among the cell's households
    which: np.ndarray  # their pattern
    mean: np.ndarray  # their mean untreated log use
    target: np.ndarray  # treated household × month: target rows
    target_y: np.ndarray  # treated household × month: their log use summed


def _cells(panel: Panel) -> list[_Cell]:
    """The panel split by comparison cell, each cell's months its columns: the cells with
    target months (enrolled households' months after enrolment that can be imputed)."""
    if panel.households == 0:
        return []
    row_hh = np.repeat(np.arange(panel.households), panel.count)
    cell_of_hh = panel.cell_of_month[panel.cell_month[panel.offset]]
    n_cells = int(panel.cell_of_month.max()) + 1
    column, cm_bounds = _ranks(panel.cell_of_month, n_cells)
    local, hh_bounds = _ranks(cell_of_hh, n_cells)
    hh_order = np.argsort(cell_of_hh, kind="stable")
    row_cell = cell_of_hh[row_hh]
    row_order = np.argsort(row_cell, kind="stable")
    row_bounds = np.searchsorted(row_cell[row_order], np.arange(n_cells + 1))
    out = []
    for k in range(n_cells):
        rows = row_order[row_bounds[k] : row_bounds[k + 1]]
        shape = (int(hh_bounds[k + 1] - hh_bounds[k]), int(cm_bounds[k + 1] - cm_bounds[k]))
        at = local[row_hh[rows]] * shape[1] + column[panel.cell_month[rows]]
        cell = _cell(
            hh_order[hh_bounds[k] : hh_bounds[k + 1]],
            shape,
            at,
            panel.log_use[rows],
            panel.untreated[rows],
            panel.target[rows],
        )
        if cell.target.any():  # a cell without target months adds nothing to the estimate
            out.append(cell)
    return out


def _dense(
    shape: tuple[int, int], at: np.ndarray, where: np.ndarray, values: np.ndarray | None = None
) -> np.ndarray:
    """Rows `where` summed into a household × month array (`at`: flat position of each row)."""
    weights = None if values is None else values[where]
    return np.bincount(at[where], weights, minlength=shape[0] * shape[1]).reshape(shape) * 1.0


def _cell(
    households: np.ndarray,
    shape: tuple[int, int],
    at: np.ndarray,
    y: np.ndarray,
    untreated_row: np.ndarray,
    target_row: np.ndarray,
) -> _Cell:
    untreated, y_sum = _dense(shape, at, untreated_row), _dense(shape, at, untreated_row, y)
    n = untreated.sum(1)
    mean = y_sum.sum(1) / np.maximum(n, 1)
    patterns, inverse = np.unique(untreated, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    size = np.maximum(patterns.sum(1), 1)
    target = _dense(shape, at, target_row)
    treated = np.flatnonzero((n > 0) & (target.sum(1) > 0))
    return _Cell(
        households=households,
        n=n,
        centred=y_sum - untreated * mean[:, None],
        pattern=(np.arange(len(patterns))[:, None] == inverse[None, :]) * 1.0,
        patterns=patterns,
        laplace=np.stack([np.diag(a) for a in patterns])
        - patterns[:, :, None] * patterns[:, None, :] / size[:, None, None],
        treated=treated,
        which=inverse[treated],
        mean=mean[treated],
        target=target[treated],
        target_y=_dense(shape, at, target_row, y)[treated],
    )


def _ranks(group: np.ndarray, groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Each item's rank within its group, and where each group starts in group order."""
    order = np.argsort(group, kind="stable")
    bounds = np.searchsorted(group[order], np.arange(groups + 1))
    rank = np.empty(len(group), dtype=np.int64)
    rank[order] = np.arange(len(group)) - bounds[group[order]]
    return rank, bounds


def _solve(
    cell: _Cell, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Least squares of household + cell-month effects on the untreated rows, with household
    weights `w` (household × replicate: how often each was drawn), every replicate at once.

    The household effects are eliminated exactly (each is its rows' mean less the mean of
    its months' effects), which leaves the months' normal equations K γ = b, K = Σ w·(diag(a)
    − a aᵀ / Σa) over the households' patterns a of untreated months: one small system per
    replicate. K is singular along a constant shift of the months' effects within each group
    of months that households connect (the household effects absorb it); adding the
    projection onto each picks the solution with Σγ = 0 per group and leaves the fitted
    values unchanged. Months without weighted untreated rows get γ = 0 and are inactive.
    Returns α of the treated households (household × replicate), γ (replicate × month),
    active (month × replicate), each month's group (month × replicate) and each treated
    household's group (household × replicate; a group's label is its first month)."""
    weight_p = cell.pattern @ w
    weight_m = cell.patterns.T @ weight_p
    active = weight_m > 0
    group, of_pattern = _groups(cell.patterns > 0, weight_p > 0, active)
    on = active.T * 1.0
    shift = weight_m.sum(0) / np.maximum(on.sum(1), 1) ** 2
    same = (on * shift[:, None])[:, :, None] * on[:, None, :]
    if not ((group == group.min(0)) | ~active).all():  # months in more than one group
        same *= group.T[:, :, None] == group.T[:, None, :]
    k = np.einsum("pr,pmn->rmn", weight_p, cell.laplace)
    k += same
    idle = np.arange(k.shape[1])
    k[:, idle, idle] += 1.0 - on
    b = (cell.centred.T @ w).T
    gamma = np.linalg.solve(k, b[..., None])[..., 0]
    shifted = (cell.patterns @ gamma.T)[cell.which] / cell.n[cell.treated][:, None]
    return cell.mean[:, None] - shifted, gamma, active, group, of_pattern[cell.which]


def _groups(
    months_of: np.ndarray, drawn: np.ndarray, active: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Which months households connect (sharing a household, directly or through others),
    per replicate: each active month's label is the first month of its group; a pattern's
    label is its months'. Inactive months and undrawn patterns get a label past every month."""
    n_m = months_of.shape[1]
    label = np.where(active, np.arange(n_m)[:, None], n_m)
    inside = months_of[:, :, None]
    while True:
        of_pattern = np.where(drawn, np.where(inside, label[None], n_m).min(1), n_m)
        spread = np.minimum(label, np.where(inside, of_pattern[:, None, :], n_m).min(0))
        if (spread == label).all():
            return label, of_pattern
        label = spread


def _sums(cell: _Cell, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per replicate: Σ w·(log use − imputed) and Σ w over the usable target months, and per
    treated household × replicate its usable target months. A target month is usable when its
    cell-month has untreated rows connected with the household's own untreated months
    (otherwise the imputed value is not identified)."""
    alpha, gamma, active, group, own = _solve(cell, w)
    w = w[cell.treated]
    if ((group == group.min(0)) | ~active).all():
        usable = active * 1.0  # one group of months in every replicate
        months = cell.target @ usable
        gap = cell.target_y @ usable - alpha * months - cell.target @ (usable * gamma.T)
    else:
        ok = active[None] & (group[None] == own[:, None, :])
        months = np.einsum("hm,hmr->hr", cell.target, ok)
        gap = (
            np.einsum("hm,hmr->hr", cell.target_y, ok)
            - alpha * months
            - np.einsum("hm,hmr,rm->hr", cell.target, ok, gamma)
        )
    return (w * gap).sum(0), (w * months).sum(0), months


def _fit(panel: Panel, cells: list[_Cell]) -> _Fit:
    """The imputation estimate on every household once."""
    total, months, treated, controls = 0.0, 0.0, 0, 0
    for cell in cells:
        gap, weight, per_household = _sums(cell, np.ones((len(cell.households), 1)))
        if weight[0] == 0:
            continue
        total, months = total + gap[0], months + weight[0]
        treated += int((per_household[:, 0] > 0).sum())
        controls += int(((cell.n > 0) & ~panel.enrolled[cell.households]).sum())
    if months == 0:
        return _Fit(0.0, 0, 0, 0)
    return _Fit(float(total / months), round(months), treated, controls)


def _bootstrap(panel: Panel, cells: list[_Cell], replicates: int, seed: int) -> np.ndarray:
    """Cluster bootstrap over households; each replicate's draws become household weights,
    and the replicates are fitted in batches of `_BATCH`."""
    rng = np.random.default_rng(seed)
    enrolled = np.flatnonzero(panel.enrolled)
    others = np.flatnonzero(~panel.enrolled)
    out = []
    for first in range(0, replicates, _BATCH):
        batch = min(_BATCH, replicates - first)
        w = np.empty((panel.households, batch))
        for r in range(batch):
            draw = np.concatenate(
                [rng.choice(enrolled, len(enrolled)), rng.choice(others, len(others))]
            )
            w[:, r] = np.bincount(draw, minlength=panel.households)
        gap, months = np.zeros(batch), np.zeros(batch)
        for cell in cells:
            g, m, _ = _sums(cell, w[cell.households])
            gap, months = gap + g, months + m
        out.extend((gap[months > 0] / months[months > 0]).tolist())
    return np.asarray(out)


_BATCH = 200


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
