"""What a programme evaluation takes in: households, their enrolments and their monthly use.

Shared by the panel (programme_panel.py), the evaluation (programme_eval.py)
and the reader that fills them from the registry and the store
(programme_data.py), so none of those needs another's module for its types.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MonthlyUse:
    """One household's use of one utility in one KST month (canonical unit)."""

    household: str
    utility: str
    month: dt.date  # the first day of the month
    consumption: float


@dataclass(frozen=True, slots=True)
class Enrolled:
    programme: str
    start: dt.date
    end: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Subject:
    """A household as the estimator sees it: its comparison cell and enrolments."""

    id: str
    cell: tuple[str, str]  # (dong, building type)
    enrolments: tuple[Enrolled, ...] = ()
