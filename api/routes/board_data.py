"""Shared data on the board: site managers (their site) and staff publish CSV files; anyone
reads those the visibility rule shows (a dataset on a hidden post is hidden with it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from api import staff_auth
from api.auth import Credentials, facility_sites, require_site
from api.guards import BoardD, ItemId, address, limit
from api.problems import (
    AUTH_RESPONSES,
    PROBLEM_RESPONSES,
    ApiProblem,
    answers_as,
    conflict,
    forbidden,
    not_found,
    problems,
)
from civic.board import datasets
from civic.board.views import DatasetView

router = APIRouter(prefix="/v1/board", tags=["board"], responses=PROBLEM_RESPONSES)


def publisher(
    request: Request,
    credentials: Credentials,
    site: Annotated[str | None, Query(max_length=64)] = None,
    x_csrf_token: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> str:
    """Who publishes, from the credential alone: `machine:admin-token`, `staff:<name>` (a
    moderator anywhere; a facility manager for its own sites, CSRF token required), or
    `site:<site>` for the site's own token."""
    if credentials is None or not credentials.credentials:
        who = staff_auth.principal(request, credentials)
        staff_auth.check_write(request, who, x_csrf_token)
        if who.allows("moderator") or (site is not None and who.sites and site in who.sites):
            return who.actor
        raise forbidden("publishing a dataset needs the moderator role, or a site of yours")
    if staff_auth.is_admin_token(request, credentials.credentials):
        return staff_auth.machine_used(request).actor
    sites = facility_sites(request, credentials)
    if site is None:
        raise conflict("a site manager publishes for their site: give ?site=", "site")
    require_site(site, sites)
    return f"site:{site}"


async def _csv_body(request: Request) -> bytes:
    """The body, refused once it passes the limit (read in chunks, never whole first)."""
    if request.headers.get("content-type", "").split(";")[0].strip() != datasets.MEDIA_TYPE:
        raise ApiProblem(415, "Unsupported media type", "send the dataset as text/csv")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > datasets.MAX_BYTES:
            raise ApiProblem(413, "Body too large", f"at most {datasets.MAX_BYTES} bytes")
    return bytes(body)


@router.post(
    "/datasets",
    status_code=201,
    summary="Publish a CSV dataset on a post or a site (staff or the site's manager)",
    description="The body is the CSV (`text/csv`, UTF-8): a header row, the same number of "
    f"cells on every row, at most {datasets.MAX_COLUMNS} columns and {datasets.MAX_BYTES} "
    "bytes. Give `post_id` or `site` (a site manager: its `site`); without either the "
    "request conflicts with where a dataset can live (409).",
    # 409: neither post nor site, or a post that takes no dataset; 413, 415: the body;
    # 422: a body that is not such a CSV; 429: writes per address.
    responses=AUTH_RESPONSES | problems(409, 413, 415, 429),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                datasets.MEDIA_TYPE: {
                    # `format: csv`: RFC 4180 with the rules above (no JSON Schema keyword
                    # says "same number of cells per row").
                    "schema": {"type": "string", "format": "csv"}
                }
            },
        }
    },
)
async def publish(
    request: Request,
    b: BoardD,
    who: Annotated[str, Depends(publisher)],
    title: Annotated[str, Query(min_length=3, max_length=200)],
    filename: Annotated[
        str, Query(pattern=datasets.NAME_PATTERN, examples=["night-use-2026-10.csv"])
    ],
    site: Annotated[str | None, Query(max_length=64)] = None,
    post_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
) -> dict[str, int]:
    limit(request, "address", address(request))
    registry = request.app.state.reference.registry
    if site is not None and (registry is None or site not in registry.sites):
        raise not_found(f"no site {site!r}")
    content = await _csv_body(request)
    return {"id": datasets.publish(b, who, title, filename, content, site, post_id)}


@router.get("/datasets", response_model=list[DatasetView], summary="Published datasets")
def list_datasets(
    b: BoardD,
    site: Annotated[str | None, Query(max_length=64)] = None,
    post_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
) -> list[DatasetView]:
    return datasets.list_datasets(b, site, post_id)


@router.get(
    "/datasets/{dataset_id}.csv",
    summary="Download a dataset",
    response_class=Response,
    responses=answers_as(datasets.MEDIA_TYPE),
)
def download(dataset_id: ItemId, b: BoardD) -> Response:
    found = datasets.content(b, dataset_id)
    if found is None:
        raise not_found(f"no dataset {dataset_id}")
    filename, content = found
    return Response(
        content,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Content-Type-Options": "nosniff",
        },
    )
