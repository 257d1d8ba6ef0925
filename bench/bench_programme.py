"""Programme evaluation time at 5,000 and 50,000 households.

Builds a synthetic programme the way `tests/households/synthetic.py` does:
comparison cells (Gwangju's dongs × apartment / detached house) with their
own seasons and month shocks, households with their own level, 10 %
log-normal noise, a quarter enrolled in the programme evaluated (staggered
over a year, an 8 % saving after the enrolment month), a quarter in another
programme, the rest in none; electricity and gas over 24 months. It hands
`insights.programme_eval.evaluate` exactly what the admin route
(`/v1/admin/programmes/{id}/evaluation`) hands it after its store read (one
`MonthlyUse` per household, utility and month, and the registry's
`Subject`s), with the route's defaults (200 bootstrap replicates), and times
the call: the panel, the point estimate and the bootstrap interval. The
store read before it (`programme_data.monthly_use`, the monthly rollup in
InfluxDB) is not part of this figure: docs/DECISIONS.md has its measured
cost.

Sizes alternate over `--repeat` rounds so other load on the machine falls on
all alike. Prints seconds per size (best and median), the estimate (it must
be near -8 %), the ratio of the largest size to the smallest (linear: the
ratio of households) and, with `--profile`, a cProfile top list of one
evaluation at the largest size.

    python -m bench.bench_programme [--households 5000,50000] [--repeat 1] [--profile]
"""

from __future__ import annotations

import cProfile
import datetime as dt
import gc
import io
import pstats
import statistics
import time
from typing import Annotated

import numpy as np
import typer

from insights.programme_eval import evaluate
from insights.programme_inputs import Enrolled, MonthlyUse, Subject
from telemetry.registry import load_geography

PROGRAMME, OTHER = "retrofit", "voucher"
UTILITIES = ("electricity", "gas")
MONTHS = 24
EFFECT = 0.92  # use after enrolment: an 8 % saving
FIRST = dt.date(2025, 1, 1)


def _month(i: int) -> dt.date:
    return dt.date(FIRST.year + (FIRST.month - 1 + i) // 12, (FIRST.month - 1 + i) % 12 + 1, 1)


def programme(n: int, seed: int = 1) -> tuple[list[Subject], list[MonthlyUse]]:
    """n households over the dongs × two building types, their enrolments and monthly use."""
    rng = np.random.default_rng(seed)
    dongs = sorted(load_geography().dongs)
    cells = [(d, kind) for d in dongs for kind in ("apartment", "detached_house")]
    months = [_month(m) for m in range(MONTHS)]
    season = {
        c: rng.uniform(0.15, 0.4) * np.cos(2 * np.pi * np.arange(MONTHS) / 12 + rng.uniform(0, 6))
        + rng.normal(0, 0.05, MONTHS)
        for c in cells
    }
    subjects, uses = [], []
    for i in range(n):
        cell = cells[i % len(cells)]
        role = (PROGRAMME, OTHER, None, None)[(i // len(cells)) % 4]
        start_m = int(rng.integers(8, 20))
        start = _month(start_m) + dt.timedelta(days=int(rng.integers(0, 28)))
        subject = Subject(f"hh-{i:06d}", cell, (Enrolled(role, start),) if role else ())
        subjects.append(subject)
        level = rng.normal(np.log(300), 0.4) + (0.2 if role else 0.0)
        for utility in UTILITIES:
            used = np.exp(level + season[cell] + rng.normal(0, 0.10, MONTHS))
            if role == PROGRAMME:
                used[start_m + 1 :] *= EFFECT
            uses.extend(
                MonthlyUse(subject.id, utility, m, float(u))
                for m, u in zip(months, used, strict=True)
            )
    return subjects, uses


def main(
    households: Annotated[str, typer.Option(help="sizes, comma-separated")] = "5000,50000",
    repeat: Annotated[int, typer.Option(help="evaluations per size")] = 1,
    replicates: Annotated[int, typer.Option(help="bootstrap replicates (route default)")] = 200,
    profile: Annotated[
        bool, typer.Option(help="cProfile one evaluation at the largest size")
    ] = False,
) -> None:
    sizes = sorted(int(s) for s in households.split(","))
    data = {}
    for n in sizes:
        t0 = time.perf_counter()
        data[n] = programme(n)
        print(
            f"{n:>7,} households: {len(data[n][1]):,} monthly rows "
            f"({len(UTILITIES)} utilities x {MONTHS} months), built in "
            f"{time.perf_counter() - t0:.1f} s"
        )
    times: dict[int, list[float]] = {n: [] for n in sizes}
    for _ in range(repeat):
        for n in sizes:
            subjects, uses = data[n]
            gc.collect()
            t0 = time.perf_counter()
            estimates = evaluate(PROGRAMME, subjects, uses, k=5, replicates=replicates, seed=1)
            times[n].append(time.perf_counter() - t0)
            shown = ", ".join(
                f"{e.utility} {e.change_pct}% [{e.ci_low_pct}, {e.ci_high_pct}]" for e in estimates
            )
            print(f"{n:>7,} households: evaluated in {times[n][-1]:.2f} s ({shown})")
    for n in sizes:
        print(
            f"{n:>7,} households: {min(times[n]):.2f} s best, "
            f"{statistics.median(times[n]):.2f} s median"
        )
    small, large = sizes[0], sizes[-1]
    if large != small:
        print(
            f"ratio {large:,} vs {small:,}: {min(times[large]) / min(times[small]):.1f}x time "
            f"(linear: {large / small:.0f}x)"
        )
    if profile:
        subjects, uses = data[large]
        profiler = cProfile.Profile()
        profiler.enable()
        evaluate(PROGRAMME, subjects, uses, k=5, replicates=replicates, seed=1)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(20)
        print(out.getvalue())


if __name__ == "__main__":
    typer.run(main)
