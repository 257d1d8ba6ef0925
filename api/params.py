"""Query and path parameters shared by routes, with their OpenAPI descriptions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, get_args, get_origin

from fastapi import Path, Query, Request, Response

from api.problems import bad_request
from stores.reference import Reference
from stores.timewin import ISO_TIME, Every, Span, Window, limits_text
from telemetry.fields import Utility
from telemetry.registry import BuildingType

# Ids fit the database's 32-bit integers; longer strings are no id of ours.
RoundId = Annotated[int, Path(ge=1, le=2_147_483_647, description="the round's id")]
UtilityQ = Annotated[Utility, Query(description="which utility", examples=["electricity"])]
EveryQ = Annotated[Every, Query(description="period of each point: hour, day or month")]
# A date or an RFC 3339 date-time (timewin.ISO_TIME): what the schema promises is what
# window() parses; the limits across parameters are answered, never refused (timewin).


def _time_param(description: str, example: str) -> object:
    return Query(
        min_length=1,
        max_length=40,
        description=f"{description}. {limits_text()}",
        examples=[example],
        json_schema_extra=ISO_TIME,
    )


StartQ = Annotated[
    str | None,
    _time_param(
        "ISO 8601 date or date-time (no offset = KST); default: one span before end",
        "2026-10-01",
    ),
]
EndQ = Annotated[
    str | None,
    _time_param("exclusive end, ISO 8601 (no offset = KST); default: now", "2026-11-01"),
]
WINDOW_HEADER = "Window-Adjusted"
DistrictP = Annotated[
    str, Path(pattern=r"^\d{5}$", description="5-digit district (자치구) code", examples=["29200"])
]
DongP = Annotated[
    str,
    Path(
        pattern=r"^\d{10}$",
        description="10-digit administrative dong code",
        examples=["2920064000"],
    ),
]
BuildingTypeP = Annotated[BuildingType, Path(description="building type", examples=["apartment"])]
BuildingTypeQ = Annotated[
    BuildingType | None, Query(description="restrict to one building type (default: all)")
]


def reference(request: Request) -> Reference:
    return request.app.state.reference


def cache_for(kind: str) -> Callable[[Request, Response], None]:
    """Dependency: a public answer cacheable for config cache.<kind>_s seconds."""

    def set_header(request: Request, response: Response) -> None:
        age = getattr(request.app.state.config.cache, f"{kind}_s")
        response.headers["Cache-Control"] = f"public, max-age={age}"

    return set_header


def private_no_store(response: Response) -> None:
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Vary"] = "Authorization"


def say_window(response: Response, w: Window | Span) -> None:
    """Tell the client how its window was adjusted to be answered (timewin.window)."""
    if w.adjusted:
        response.headers[WINDOW_HEADER] = "; ".join(w.adjusted)


def _is_list(annotation: object) -> bool:
    if get_origin(annotation) in (list, tuple, set, frozenset):
        return True
    return any(_is_list(a) for a in get_args(annotation))


def _scalar_query_names(dependant: Any) -> set[str]:
    names = {p.alias for p in dependant.query_params if not _is_list(p.field_info.annotation)}
    for sub in dependant.dependencies:
        names |= _scalar_query_names(sub)
    return names


def one_value_each(request: Request) -> None:
    """App-wide dependency: a query parameter of one value given twice is refused (400), as
    the schema says (a scalar, not an array); FastAPI would silently keep the last."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    repeated = {k for k, _ in request.query_params.multi_items()}
    repeated = {k for k in repeated if len(request.query_params.getlist(k)) > 1}
    twice = sorted(repeated & _scalar_query_names(dependant))
    if twice:
        raise bad_request(f"{twice[0]}: one value only (it was given more than once)", twice[0])
