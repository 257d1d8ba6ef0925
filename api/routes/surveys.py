"""Citizens' policy surveys: rounds and questions, responses, results and exports; staff actions.

Anyone reads rounds (not drafts) and, once published, results and exports.
A verified resident (session cookie) answers once per household and round;
the edit token comes back as an HttpOnly cookie that only their browser
holds, and opens their answers until the round closes. Staff
create, review, open, close and publish rounds, enter paper responses with
a household's participation code, moderate free text, and see results of a
closed round before publication.

Staff are a staff account with the survey_admin role (its cookie session, writes
with its CSRF token) or the machines' admin token (the round clock, `tick`);
every change is recorded in the audit log under the credential's actor, right
after the survey service's own transaction (civic/surveys commits its own).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import AwareDatetime, BaseModel, Field

from api import session
from api.guards import ActiveResident, ActiveWriter, SessionResident, signing_key
from api.params import RoundId
from api.problems import (
    AUTH_RESPONSES,
    PROBLEM_RESPONSES,
    RESIDENT_READ,
    RESIDENT_WRITE,
    answers_as,
    not_found,
    problems,
)
from api.refusals import survey_problem
from api.staff_auth import Principal, SurveyAdmin, survey_admin
from civic.surveys.answers import AnswerError
from civic.surveys.rounds import Round
from civic.surveys.service import ResponseRefused, RoundRefused, Surveys
from telemetry.db import audit

router = APIRouter(prefix="/v1/surveys", tags=["surveys"], responses=PROBLEM_RESPONSES)
staff = APIRouter(
    prefix="/v1/surveys/admin",
    tags=["surveys", "operators"],
    dependencies=[Depends(survey_admin)],
    # 409: the round's state (open, closed, published) or its rules; 410: a paper code gone.
    responses={**PROBLEM_RESPONSES, **AUTH_RESPONSES, **problems(409, 410, 413, 429)},
)
# Results and exports exist once a round is published: 409 before.
HIDDEN_UNTIL_PUBLISHED = problems(409)


Ident = Annotated[str, Path(max_length=64)]


def surveys(request: Request) -> Surveys:
    found: Surveys | None = getattr(request.app.state, "surveys", None)
    if found is None:
        raise not_found("surveys are not configured on this server")
    return found


Store = Annotated[Surveys, Depends(surveys)]


class RoundOut(BaseModel):
    id: int
    template: str
    number: int
    title: str
    status: str
    opens_at: datetime
    closes_at: datetime
    publish_at: datetime
    published_at: datetime | None

    @classmethod
    def of(cls, r: Round) -> RoundOut:
        return cls(
            **{f: getattr(r, f) for f in cls.model_fields if f != "status"}, status=r.status.value
        )


class RoundDetail(RoundOut):
    questionnaire: dict[str, Any] = Field(description="the round's sections and questions")


class AnswersIn(BaseModel):
    answers: dict[str, Any] = Field(
        max_length=200, description="question id -> answer (see the questions)"
    )


class PaperIn(AnswersIn):
    code: str = Field(max_length=40, description="the household's participation code")


class RoundIn(BaseModel):
    template: str = Field(max_length=64)
    opens_at: AwareDatetime
    closes_at: AwareDatetime
    publish_at: AwareDatetime


class DatesIn(BaseModel):
    opens_at: AwareDatetime
    closes_at: AwareDatetime
    publish_at: AwareDatetime


def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except (RoundRefused, ResponseRefused, AnswerError) as exc:
        raise survey_problem(exc) from None


# --- everyone ---------------------------------------------------------------


@router.get("/rounds", response_model=list[RoundOut], summary="Survey rounds (not drafts)")
def list_rounds(store: Store) -> list[RoundOut]:
    return [RoundOut.of(r) for r in store.rounds.list()]


@router.get("/rounds/{round_id}", response_model=RoundDetail, summary="A round and its questions")
def get_round(round_id: RoundId, store: Store) -> RoundDetail:
    r = _call(store.rounds.get, round_id)
    if r.status.value == "draft":
        raise not_found(f"no survey round {round_id}")
    return RoundDetail(**RoundOut.of(r).model_dump(), questionnaire=r.questions.model_dump())


@router.get(
    "/rounds/{round_id}/results",
    summary="Results, once published",
    responses=HIDDEN_UNTIL_PUBLISHED,
)
def results(round_id: RoundId, store: Store) -> dict[str, Any]:
    return _call(store.results, round_id)


@router.get(
    "/rounds/{round_id}/export.json",
    summary="Results, data dictionary, methodology",
    responses=HIDDEN_UNTIL_PUBLISHED,
)
def export_json(round_id: RoundId, store: Store) -> dict[str, Any]:
    return _call(store.export, round_id)


@router.get(
    "/rounds/{round_id}/export.csv",
    response_class=Response,
    responses=answers_as("text/csv") | HIDDEN_UNTIL_PUBLISHED,
)
def export_csv(round_id: RoundId, store: Store) -> Response:
    """The published cells of the results, one row per figure."""
    body = _call(store.export_csv, round_id)
    return Response(body, media_type="text/csv; charset=utf-8")


@router.get(
    "/rounds/{round_id}/dictionary.csv", response_class=Response, responses=answers_as("text/csv")
)
def export_dictionary(round_id: RoundId, store: Store) -> Response:
    """Question ids, texts, types and options of a round."""
    body = _call(store.dictionary_csv, round_id)
    return Response(body, media_type="text/csv; charset=utf-8")


@router.get("/templates/{template}/questions/{question_id}/comparison")
def compare(template: Ident, question_id: Ident, store: Store) -> list[dict[str, Any]]:
    """A repeated question (same id) across the published rounds of a template."""
    return store.comparison(template, question_id)


# --- verified residents -----------------------------------------------------


@router.post(
    "/rounds/{round_id}/response",
    status_code=201,
    summary="Answer a round",
    responses=RESIDENT_WRITE,
)
def submit(
    round_id: RoundId,
    body: AnswersIn,
    who: ActiveWriter,
    store: Store,
    request: Request,
    response: Response,
) -> dict[str, str]:
    handle = _call(store.responses.submit, round_id, who.household_key, who.site, body.answers)
    closes = store.rounds.get(round_id).closes_at
    key = signing_key(request)
    session.set_survey_edit(request, response, key, who.session_id, round_id, handle, closes)
    return {"status": "recorded", "editable_until": closes.isoformat()}


def edit_handle(request: Request, who: SessionResident, round_id: int) -> str:
    """The edit handle this browser holds for the round, made under this session (session.py)."""
    handle = session.survey_edit_handle(request, signing_key(request), who.session_id, round_id)
    if handle is None:
        raise not_found("this browser holds no response to this round")
    return handle


@router.get(
    "/rounds/{round_id}/response",
    summary="Your own answers, while you may edit them",
    responses=RESIDENT_READ | problems(409),
)
def own(round_id: RoundId, who: ActiveResident, store: Store, request: Request) -> dict[str, Any]:
    return {"answers": _call(store.responses.own, round_id, edit_handle(request, who, round_id))}


@router.put(
    "/rounds/{round_id}/response",
    summary="Change your answers before the round closes",
    responses=RESIDENT_WRITE,
)
def edit(
    round_id: RoundId, body: AnswersIn, who: ActiveWriter, store: Store, request: Request
) -> dict[str, str]:
    _call(store.responses.edit, round_id, edit_handle(request, who, round_id), body.answers)
    return {"status": "updated"}


# --- staff ------------------------------------------------------------------


@staff.get("/rounds", response_model=list[RoundOut], summary="Every round, drafts included")
def staff_rounds(store: Store) -> list[RoundOut]:
    return [RoundOut.of(r) for r in store.rounds.list(drafts=True)]


def _audit(
    store: Surveys, who: Principal, action: str, target: tuple[str, object], **detail: Any
) -> None:
    """The survey service commits its own transaction; the audit entry follows it at once."""
    with store.engine.begin() as conn:
        audit.record(conn, who.actor, action, target[0], target[1], detail)


def _dates(r: Any) -> dict[str, str]:
    return {f: getattr(r, f).isoformat() for f in ("opens_at", "closes_at", "publish_at")}


@staff.post("/rounds", response_model=RoundDetail, status_code=201, summary="Draft a round")
def create_round(body: RoundIn, who: SurveyAdmin, store: Store) -> RoundDetail:
    r = _call(store.rounds.create, body.template, body.opens_at, body.closes_at, body.publish_at)
    _audit(store, who, "survey.create", ("survey_round", r.id), template=r.template, **_dates(r))
    return RoundDetail(**RoundOut.of(r).model_dump(), questionnaire=r.questions.model_dump())


@staff.put("/rounds/{round_id}/dates", response_model=RoundOut, summary="Reschedule a draft")
def reschedule(round_id: RoundId, body: DatesIn, who: SurveyAdmin, store: Store) -> RoundOut:
    dates = (body.opens_at, body.closes_at, body.publish_at)
    r = _call(store.rounds.reschedule, round_id, *dates)
    _audit(store, who, "survey.reschedule", ("survey_round", round_id), **_dates(r))
    return RoundOut.of(r)


@staff.post("/tick", response_model=list[RoundOut], summary="Close, publish and draft what is due")
def tick(who: SurveyAdmin, store: Store) -> list[RoundOut]:
    moved = [RoundOut.of(r) for r in store.rounds.tick()]
    if moved:  # a clock run often (a machine's timer): only what it changed is recorded
        rounds = [{"id": r.id, "status": r.status} for r in moved]
        _audit(store, who, "survey.tick", ("survey_round", None), rounds=rounds)
    return moved


@staff.post("/rounds/{round_id}/paper", status_code=201, summary="Enter a paper response")
def paper(round_id: RoundId, body: PaperIn, who: SurveyAdmin, store: Store) -> dict[str, str]:
    _call(store.responses.submit_paper, round_id, body.code, body.answers)
    # Neither the code nor the answers: the entry must not pair a household with a response.
    _audit(store, who, "survey.paper", ("survey_round", round_id))
    return {"status": "recorded"}


@staff.get("/rounds/{round_id}/results", summary="Results of a closed round, before publication")
def staff_results(round_id: RoundId, store: Store) -> dict[str, Any]:
    return _call(store.results, round_id, staff=True)


@staff.get("/rounds/{round_id}/texts", summary="Free-text answers awaiting moderation")
def pending_texts(round_id: RoundId, store: Store) -> list[dict[str, str]]:
    return _call(store.responses.pending_texts, round_id)


@staff.post("/rounds/{round_id}/texts/{response_id}/{question_id}/approve", status_code=204)
def approve_text(
    round_id: RoundId, response_id: Ident, question_id: Ident, who: SurveyAdmin, store: Store
) -> Response:
    """Publish one free-text answer with the results."""
    _call(store.responses.approve_text, round_id, response_id, question_id)
    target = ("survey_response", response_id)
    _audit(store, who, "survey.text_approve", target, round=round_id, question=question_id)
    return Response(status_code=204)


def _move(action: str) -> None:
    """POST /rounds/{id}/<action>: one route per action, so that a path's `Allow` and the
    OpenAPI document name exactly what exists (one `{action}` route also caught
    /rounds/{id}/dates and /rounds/{id}/paper)."""

    @staff.post(
        f"/rounds/{{round_id}}/{action}",
        response_model=RoundOut,
        summary=f"{action.title()} a round",
    )
    def move(round_id: RoundId, who: SurveyAdmin, store: Store) -> RoundOut:
        moved = RoundOut.of(_call(getattr(store.rounds, action), round_id))
        _audit(store, who, f"survey.{action}", ("survey_round", round_id))
        return moved


for _action in ("open", "close", "publish"):
    _move(_action)
