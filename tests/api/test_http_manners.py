"""Cacheable and polite: validators and 304 on public figures, CORS per route (in-process,
over the rolled-up test city of conftest.py: real InfluxDB, real rollup)."""

from __future__ import annotations

import time
from email.utils import formatdate, parsedate_to_datetime

import pytest

from tests.api.conftest import ApiCity
from tests.rollup import city

OTHER_ORIGIN = "https://civic-hackers.example"
PUBLIC_FIGURES = [
    ("/v1/city/consumption", {"every": "day"}),
    (
        f"/v1/districts/{city.APARTMENT_DONG[0]}/dongs/{city.APARTMENT_DONG[1]}/consumption",
        {"every": "month"},
    ),
    ("/v1/open-data/consumption.csv", {"level": "dong", "every": "month"}),
    ("/v1/districts", {}),
]
SITE = {"Authorization": "Bearer apt-secret"}


@pytest.mark.parametrize(("path", "params"), PUBLIC_FIGURES)
def test_public_figures_revalidate_with_etag_and_last_modified(
    api_city: ApiCity, path: str, params: dict[str, str]
) -> None:
    client = api_city.client
    first = client.get(path, params=params)
    assert first.status_code == 200 and first.content
    assert first.headers["cache-control"].startswith("public, max-age=")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert etag.startswith('W/"') and len(etag) == len('W/""') + 32
    assert parsedate_to_datetime(modified).timestamp() <= time.time()

    same = client.get(path, params=params, headers={"If-None-Match": etag})
    assert same.status_code == 304 and same.content == b""
    assert same.headers["etag"] == etag
    assert same.headers["cache-control"] == first.headers["cache-control"]
    assert "content-type" not in same.headers and "link" not in same.headers
    listed = client.get(path, params=params, headers={"If-None-Match": f'W/"other", {etag}'})
    assert listed.status_code == 304

    since = client.get(path, params=params, headers={"If-Modified-Since": modified})
    assert since.status_code == 304 and since.content == b""
    before = formatdate(parsedate_to_datetime(modified).timestamp() - 60, usegmt=True)
    changed = client.get(path, params=params, headers={"If-Modified-Since": before})
    assert changed.status_code == 200 and changed.content == first.content

    # If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2).
    stale_tag = {"If-None-Match": 'W/"not-this-one"', "If-Modified-Since": modified}
    assert client.get(path, params=params, headers=stale_tag).status_code == 200


def test_the_tag_follows_the_body_and_compression_keeps_it(api_city: ApiCity) -> None:
    client = api_city.client
    day = client.get("/v1/city/consumption", params={"every": "day"})
    hour = client.get("/v1/city/consumption", params={"every": "hour"})
    assert day.content != hour.content and day.headers["etag"] != hour.headers["etag"]
    csv, big = "/v1/open-data/consumption.csv", {"level": "dong", "every": "hour"}
    plain = client.get(csv, params=big, headers={"Accept-Encoding": "identity"})
    packed = client.get(csv, params=big, headers={"Accept-Encoding": "gzip"})
    assert len(plain.content) > 1024 and packed.headers.get("content-encoding") == "gzip"
    assert "content-encoding" not in plain.headers
    assert plain.headers["etag"] == packed.headers["etag"]  # weak: one representation
    again = client.get(
        csv, params=big, headers={"Accept-Encoding": "gzip", "If-None-Match": plain.headers["etag"]}
    )
    assert again.status_code == 304


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/v1/facility/sites", SITE),
        ("/v1/facility/sites/apt/meters", SITE),
        ("/v1/admin/agents", {"Authorization": "Bearer admin-secret-token"}),
    ],
)
def test_private_answers_carry_no_validator_and_never_304(
    api_city: ApiCity, path: str, headers: dict[str, str]
) -> None:
    client = api_city.client
    r = client.get(path, headers=headers)
    assert r.status_code == 200
    assert r.headers["cache-control"] == "private, no-store"
    assert "etag" not in r.headers and "last-modified" not in r.headers
    asked = client.get(path, headers=headers | {"If-None-Match": "*"})
    assert asked.status_code == 200 and asked.content


def test_household_answers_carry_no_validator(api_city: ApiCity) -> None:
    token = api_city.household_token("hh-1")
    r = api_city.client.get("/v1/household/months", params={"token": token})
    assert r.status_code == 200 and "etag" not in r.headers
    assert "no-store" in r.headers["cache-control"]


@pytest.mark.parametrize(
    "path",
    [
        "/v1/city/live",
        "/v1/open-data/consumption.csv",
        "/v1/open-data/catalog",
        "/v1/districts/99999/dongs",  # a problem answer is readable too
        "/openapi.json",
    ],
)
def test_public_and_open_data_routes_are_open_to_any_origin(api_city: ApiCity, path: str) -> None:
    client = api_city.client
    r = client.get(path, headers={"Origin": OTHER_ORIGIN})
    assert r.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in r.headers
    assert "ETag" in r.headers["access-control-expose-headers"]
    pre = client.options(
        path,
        headers={
            "Origin": OTHER_ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "If-None-Match, Authorization",
        },
    )
    assert pre.status_code == 204 and pre.headers["access-control-allow-origin"] == "*"
    assert pre.headers["access-control-allow-methods"] == "GET"
    assert pre.headers["access-control-allow-headers"] == "if-none-match"  # no Authorization


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/v1/facility/sites", SITE),
        ("/v1/household/usage", {}),
        ("/v1/admin/agents", {"Authorization": "Bearer admin-secret-token"}),
        ("/v1/staff/tenancies", {}),
        ("/v1/alerts", SITE),
        ("/v1/board/me", {}),
    ],
)
def test_private_routes_are_open_to_no_origin(
    api_city: ApiCity, path: str, headers: dict[str, str]
) -> None:
    client = api_city.client
    # Even an origin the city lists in cors_origins (its own pages) gets no CORS header.
    for origin in (OTHER_ORIGIN, "https://energy.gwangju.go.kr"):
        r = client.get(path, headers=headers | {"Origin": origin})
        assert not any(h.startswith("access-control-") for h in r.headers), r.headers
        pre = client.options(
            path, headers={"Origin": origin, "Access-Control-Request-Method": "GET"}
        )
        assert not any(h.startswith("access-control-") for h in pre.headers), pre.headers
