"""The surveys' pages (HTML): open rounds, the questionnaire (answer, then edit until the
close), and the published results beside the respondents' districts' energy trend.

Answers go through the same store and checks as `/v1/surveys` (session,
CSRF field, one response per household); the edit capability is the same
HttpOnly cookie the API sets. Results exist on the page only when the store
gives them (after publication); a withheld cell says so and why.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse

from api import session
from api.deps import public_store
from api.guards import SessionResident, session_of, signing_key, unblocked
from api.params import RoundId, reference
from api.problems import ApiProblem, not_found
from api.refusals import survey_problem
from api.web.i18n import pick_lang
from api.web.resident import private_page, read_form, refused_page, resident_write, see_other
from api.web.routes import Lang, not_found_page
from api.web.survey_form import answers_of
from civic.surveys.answers import AnswerError
from civic.surveys.results import ALL_ALIKE, BELOW_K, COMPLEMENT
from civic.surveys.rounds import Round
from civic.surveys.service import ResponseRefused, RoundRefused, Surveys
from civic.surveys.template import LIKERT, LIKERT_LABELS_KO
from stores import public_data
from stores.figures import GroupRef, Series
from stores.influx import PublicStore
from stores.reference import BUILDING_TYPE_LABELS, Reference
from stores.timewin import Every, window
from telemetry.fields import Utility
from telemetry.influx_schema import GROUP_ALL
from telemetry.influxql import InfluxQueryError

router = APIRouter(include_in_schema=False)
Ref = Annotated[Reference, Depends(reference)]
Store = Annotated[PublicStore, Depends(public_store)]
Refusals = (RoundRefused, ResponseRefused, AnswerError)


def surveys_of(request: Request) -> Surveys:
    found: Surveys | None = getattr(request.app.state, "surveys", None)
    if found is None:
        raise not_found("surveys are not configured on this server")
    return found


SurveysP = Annotated[Surveys, Depends(surveys_of)]


@router.get("/surveys", response_class=HTMLResponse)
def survey_list(request: Request, s: SurveysP, lang: Lang = None) -> HTMLResponse:
    context = {"page": "surveys", "rounds": s.rounds.list()}
    return private_page(request, "surveys/list.html", lang, context)


def _handle(request: Request, who: SessionResident | None, round_id: int) -> str | None:
    """This browser's edit handle for the round, if made under the current session: one
    left by another session (another household on a shared computer) opens nothing."""
    if who is None:
        return None
    return session.survey_edit_handle(request, signing_key(request), who.session_id, round_id)


def _own(request: Request, s: Surveys, round_id: int) -> dict[str, Any] | None:
    handle = _handle(request, session_of(request), round_id)
    if not handle:
        return None
    try:
        return s.responses.own(round_id, handle)
    except Refusals:
        return None


@router.get("/surveys/{round_id}", response_class=HTMLResponse)
def questionnaire(request: Request, round_id: RoundId, s: SurveysP, lang: Lang = None) -> Response:
    try:
        r = s.rounds.get(round_id)
    except RoundRefused:
        return not_found_page(request, lang)
    if r.status.value == "draft":
        return not_found_page(request, lang)
    own = _own(request, s, round_id)
    who = session_of(request)
    context = {
        "page": "surveys",
        "r": r,
        "accepting": r.accepting(s.rounds.clock()),
        "own": own,
        # The household answered under another session (its edit handle went with it).
        "answered_elsewhere": who is not None
        and own is None
        and s.responses.answered(round_id, who.household_key),
        "note": request.query_params.get("note"),
        "likert": list(zip(LIKERT, LIKERT_LABELS_KO, strict=True)),
    }
    return private_page(request, "surveys/questionnaire.html", lang, context)


@router.post("/surveys/{round_id}")
async def answer(request: Request, round_id: RoundId, s: SurveysP, lang: Lang = None) -> Response:
    form = await read_form(request)
    target = see_other(pick_lang(lang), f"/surveys/{round_id}", note="recorded")
    try:
        who = unblocked(resident_write(request, form))
        r = s.rounds.get(round_id)
        given = answers_of(r.questions, form)
        handle = _handle(request, who, round_id)
        if handle:
            s.responses.edit(round_id, handle, given)
            return see_other(pick_lang(lang), f"/surveys/{round_id}", note="updated")
        try:
            handle = s.responses.submit(round_id, who.household_key, who.site, given)
        except Refusals as exc:
            raise survey_problem(exc) from None
        key = signing_key(request)
        session.set_survey_edit(request, target, key, who.session_id, round_id, handle, r.closes_at)
    except ApiProblem as exc:
        return refused_page(request, lang, exc)
    except Refusals as exc:
        status = 422 if isinstance(exc, AnswerError) else 409
        return refused_page(request, lang, ApiProblem(status, "Refused", str(exc)))
    return target


@router.get("/surveys/{round_id}/results", response_class=HTMLResponse)
def results_page(
    request: Request, round_id: RoundId, s: SurveysP, store: Store, ref: Ref, lang: Lang = None
) -> Response:
    try:
        r = s.rounds.get(round_id)
        results = s.results(round_id)
    except RoundRefused as exc:
        if exc.reason == "unknown_round":
            return not_found_page(request, lang)
        context = {"page": "surveys", "r": s.rounds.get(round_id), "results": None}
        return private_page(request, "surveys/results.html", lang, context, 409)
    districts = sorted({d for q in results["questions"] for d in q.get("by_district", {})})
    context = {
        "page": "surveys",
        "r": r,
        "results": results,
        "districts": ref.geo.districts,
        "btypes": BUILDING_TYPE_LABELS,
        "trend": _trend_or_none(store, ref, districts, r),
        "questions": {q.id: q for q in r.questions.questions()},
        "reason_keys": {
            BELOW_K: "surveys_below_k",
            COMPLEMENT: "surveys_complement",
            ALL_ALIKE: "surveys_all_alike",
        },
    }
    return private_page(request, "surveys/results.html", lang, context)


def _trend_or_none(
    store: PublicStore, ref: Reference, districts: list[str], r: Round
) -> list[Series] | None:
    """The results stand on their own: an unreachable public store only loses the chart."""
    try:
        # A round published before its planned close has no figures after that.
        ends = min(r.closes_at, r.published_at or r.closes_at)
        return energy_trend(store, ref, districts, r.opens_at, ends)
    except InfluxQueryError:
        return None


def energy_trend(
    store: PublicStore, ref: Reference, districts: list[str], opens: Any, closes: Any
) -> list[Series]:
    """The respondents' districts' daily electricity over the round's period (public store)."""
    start = opens.date().isoformat()
    end = (closes + timedelta(days=1)).date().isoformat()
    w = window(start, end, Every.DAY, coarsen=False)  # daily, as the page draws it
    out: list[Series] = []
    for code in districts:
        if code in ref.geo.districts:
            group = GroupRef(district=code, dong=GROUP_ALL, building_type=GROUP_ALL)
            out.append(public_data.series(store, ref, group, Utility.ELECTRICITY, w))
    return out
