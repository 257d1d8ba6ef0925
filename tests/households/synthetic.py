"""A synthetic city of households whose programme effect is known.

Cells (dong × building type) with their own seasons and month-to-month
shocks; households with their own level (enrolled ones use more to begin
with, as households picked for help often do); log-normal noise; enrolment
dates staggered over a year. Enrolled households of the `effect` programme
use `effect` times as much from the month after they enrolled; those of the
placebo programme change nothing.
"""

from __future__ import annotations

import datetime as dt
import math
import random

from insights.programme_inputs import Enrolled, MonthlyUse, Subject

FIRST = dt.date(2025, 1, 1)


def month(i: int) -> dt.date:
    return dt.date(FIRST.year + (FIRST.month - 1 + i) // 12, (FIRST.month - 1 + i) % 12 + 1, 1)


def synthetic_city(
    seed: int,
    *,
    effect: float = 0.92,
    cells: int = 6,
    per_cell: int = 60,
    months: int = 36,
    noise: float = 0.10,
    utilities: tuple[str, ...] = ("electricity",),
    dongs: list[str] | None = None,
) -> tuple[list[Subject], list[MonthlyUse]]:
    rng = random.Random(seed)
    subjects: list[Subject] = []
    uses: list[MonthlyUse] = []
    for c in range(cells):
        dong, other_type = (dongs[c % len(dongs)], c // len(dongs)) if dongs else (f"29{c:08d}", c)
        cell = (dong, "apartment" if other_type % 2 else "detached_house")
        amplitude, phase = rng.uniform(0.15, 0.4), rng.uniform(0, 2 * math.pi)
        shocks = [rng.gauss(0, 0.05) for _ in range(months)]
        season = [
            amplitude * math.cos(2 * math.pi * m / 12 + phase) + shocks[m] for m in range(months)
        ]
        for n in range(per_cell):
            role = ("retrofit", "placebo", None, None)[n % 4]
            start = month(rng.randint(12, 23)) + dt.timedelta(days=rng.randint(0, 27))
            enrolments = (Enrolled(role, start),) if role else ()
            subject = Subject(f"h{c}-{n}", cell, enrolments)
            subjects.append(subject)
            level = rng.gauss(math.log(300), 0.4) + (0.2 if role else 0.0)
            for utility in utilities:
                for m in range(months):
                    factor = 1.0
                    if role == "retrofit" and month(m) > start:
                        factor = effect if month(m) > start.replace(day=1) else 1.0
                    used = math.exp(level + season[m] + rng.gauss(0, noise)) * factor
                    uses.append(MonthlyUse(subject.id, utility, month(m), used))
    return subjects, uses
