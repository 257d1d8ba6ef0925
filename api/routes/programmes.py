"""City staff (admin token): did a support programme save energy? JSON and CSV."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from api.deps import private_store
from api.params import EndQ, StartQ, private_no_store, say_window
from api.problems import AUTH_RESPONSES, PROBLEM_RESPONSES, answers_as, not_found
from api.staff_auth import operator
from insights import programme_data
from insights.programme_eval import METHOD, Estimate, estimates_csv, evaluate
from stores.influx import PrivateStore
from stores.timewin import KST, Every, Window, add_months, floor, window
from telemetry.registry.households import Programme

router = APIRouter(
    prefix="/v1/admin/programmes",
    tags=["operators"],
    dependencies=[Depends(operator), Depends(private_no_store)],
    responses={**PROBLEM_RESPONSES, **AUTH_RESPONSES},
)
Store = Annotated[PrivateStore, Depends(private_store)]
Replicates = Annotated[
    int, Query(ge=20, le=2000, description="bootstrap replicates for the interval")
]
BEFORE_START_MONTHS = 24


class UtilityEstimate(BaseModel):
    utility: str
    status: str = Field(description="ok, suppressed (privacy rule) or no_data")
    reason: str | None
    enrolled_households: int
    comparison_households: int
    enrolled_months: int = Field(description="enrolled household-months after enrolment used")
    change_pct: float | None = Field(description="change in use after enrolment, % (<0: saved)")
    ci_low_pct: float | None
    ci_high_pct: float | None
    level: float
    replicates: int


class Evaluation(BaseModel):
    programme: str
    name_ko: str
    name_en: str
    kind: str
    programme_start: dt.date
    start: str
    end: str
    privacy_k: int
    method: str
    utilities: list[UtilityEstimate]


def _programme(request: Request, programme: str) -> Programme:
    registry = request.app.state.reference.registry
    found = registry.households.programmes.get(programme) if registry else None
    if found is None:
        raise not_found(f"no programme {programme!r} in the registry")
    return found


def _window(p: Programme, start: str | None, end: str | None) -> Window:
    """Whole KST months; default: two years before the programme opened until this month.
    Reversed or too long (over timewin.MAX_MONTHS): answered as window() answers them."""
    opened = dt.datetime(p.start.year, p.start.month, 1, tzinfo=KST)
    default_start = add_months(opened, -BEFORE_START_MONTHS).isoformat()
    # `end` exclusive: without one, up to the start of this month (whole months only).
    default_end = floor(dt.datetime.now(KST), Every.MONTH).isoformat()
    return window(start or default_start, end or default_end, Every.MONTH, coarsen=False)


@dataclass(frozen=True)
class Run:
    programme: Programme
    window: tuple[dt.datetime, dt.datetime]
    estimates: list[Estimate]


def run_evaluation(
    request: Request,
    response: Response,
    store: Store,
    programme: str,
    start: StartQ = None,
    end: EndQ = None,
    replicates: Replicates = 200,
) -> Run:
    """The programme's estimates over the window, from the private store."""
    p = _programme(request, programme)
    found = _window(p, start, end)
    say_window(response, found)
    w = (found.start, found.end)
    homes = request.app.state.reference.registry.households
    uses = programme_data.monthly_use(store, homes, *w)
    k = request.app.state.config.privacy_k
    estimates = evaluate(p.id, programme_data.subjects(homes), uses, k=k, replicates=replicates)
    return Run(p, w, estimates)


Evaluated = Annotated[Run, Depends(run_evaluation)]


@router.get(
    "/{programme}/evaluation",
    response_model=Evaluation,
    summary="Did the programme save energy? Difference-in-differences per utility",
    description=f"Method: {METHOD}. Enrolled households are compared with households of the "
    "same dong and building type outside any programme, over the same months. Figures are "
    "withheld below k enrolled or comparison households.",
)
def evaluation(request: Request, run: Evaluated) -> Evaluation:
    p = run.programme
    return Evaluation(
        programme=p.id,
        name_ko=p.name_ko,
        name_en=p.name_en,
        kind=p.kind.value,
        programme_start=p.start,
        start=run.window[0].isoformat(),
        end=run.window[1].isoformat(),
        privacy_k=request.app.state.config.privacy_k,
        method=METHOD,
        utilities=[UtilityEstimate.model_validate(e, from_attributes=True) for e in run.estimates],
    )


@router.get(
    "/{programme}/evaluation.csv",
    response_class=Response,
    responses=answers_as("text/csv"),
    summary="The programme evaluation as CSV (one row per utility)",
)
def evaluation_csv(run: Evaluated) -> Response:
    name = f"{run.programme.id}-evaluation.csv"
    return Response(
        estimates_csv(run.estimates),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
