"""The open-data catalogue, Data Packages and 공공데이터포털 sheet served by the real app over
a rolled-up test city: the catalogue passes the DCAT-AP shapes, every CSV export validates
with its datapackage.json in `frictionless`, and the portal's about page links them."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from frictionless import validate

from stores.open_data.catalog import DATASETS, PORTAL_SHEET_COLUMNS, package_url
from stores.open_data.columns import COLUMNS
from stores.timewin import Every, from_ms
from tests.api.conftest import ApiCity
from tests.api.test_open_data_shapes import conforms
from tests.rollup import city

# CSV routes of /v1/open-data that are no export of figures, and why.
NOT_EXPORTS = {"/v1/open-data/catalog.csv": "the 공공데이터포털 metadata sheet, about the exports"}


def _paths(api_city: ApiCity) -> dict[str, Any]:
    """The app's routes, from its OpenAPI (FastAPI includes routers lazily)."""
    return api_city.app.openapi()["paths"]


def _csv_exports(api_city: ApiCity) -> list[str]:
    """Every open-data route answering CSV: named .csv, or documented as text/csv."""
    return sorted(
        path
        for path, ops in _paths(api_city).items()
        if path.startswith("/v1/open-data/")
        and path not in NOT_EXPORTS
        and (
            path.endswith(".csv")
            or "text/csv"
            in ops.get("get", {}).get("responses", {}).get("200", {}).get("content", {})
        )
    )


def test_the_served_catalogue_conforms_and_lists_every_dataset(api_city: ApiCity) -> None:
    r = api_city.client.get("/v1/open-data/catalog")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/ld+json")
    catalog = r.json()
    ok, text = conforms(catalog)
    assert ok, text
    datasets = catalog["dcat:dataset"]
    assert [d["dct:identifier"] for d in datasets] == [d.key for d in DATASETS]
    for d in datasets:
        urls = [x["dcat:accessURL"]["@id"] for x in d["dcat:distribution"]]
        assert all(u.startswith("http://testserver/v1/open-data/") for u in urls)
        for u in urls:  # every distribution answers
            assert api_city.client.get(u).status_code == 200, u
        assert "5" in json.dumps(d["rdfs:comment"])  # the privacy rule names k
    # The same catalogue without a dataset's title fails: the check can fail.
    del datasets[0]["dct:title"]
    assert not conforms(catalog)[0]


def test_openapi_documents_the_catalogue(api_city: ApiCity) -> None:
    paths = api_city.client.get("/openapi.json").json()["paths"]
    assert (
        "application/ld+json"
        in paths["/v1/open-data/catalog"]["get"]["responses"]["200"]["content"]
    )
    assert "/v1/open-data/catalog.csv" in paths
    assert "/v1/open-data/consumption/datapackage.json" in paths


def test_every_csv_export_validates_with_its_data_package(
    api_city: ApiCity, tmp_path: Path
) -> None:
    exports = _csv_exports(api_city)
    assert exports == ["/v1/open-data/consumption.csv"]
    paths = _paths(api_city)
    c = api_city.city
    hours = {
        "start": from_ms(c.start_ms).isoformat(),
        "end": from_ms(c.start_ms + 2 * city.HOUR).isoformat(),
    }
    withheld = 0
    for export in exports:
        # Beside each CSV, its package: /x.csv -> /x/datapackage.json.
        package_path = export.removesuffix(".csv") + "/datapackage.json"
        assert package_path in paths, f"{export} has no {package_path}"
        for dataset in DATASETS:
            for every, window in (("day", {}), ("month", {}), ("hour", hours)):
                query = {"level": dataset.level.value, "every": every}
                package = api_city.client.get(package_path, params=query).json()
                (resource,) = package["resources"]
                link = urlsplit(resource["path"])
                assert link.path == export
                assert {k: v[0] for k, v in parse_qs(link.query).items()} == query
                assert api_city.client.get(resource["path"]).status_code == 200
                r = api_city.client.get(export, params=query | window)
                described = f"<{package_url('http://testserver', dataset, Every(every))}>"
                assert f'{described}; rel="describedby"' in r.headers["link"]
                text = r.text
                rows = list(csv.DictReader(io.StringIO(text.split("\n", 1)[1])))
                assert rows, (export, query)
                withheld += sum(r["status"] == "withheld" for r in rows)
                folder = tmp_path / f"{dataset.key}-{every}"
                folder.mkdir()
                (folder / "data.csv").write_text(text, encoding="utf-8")
                resource["path"] = "data.csv"
                (folder / "datapackage.json").write_text(json.dumps(package))
                report = validate(str(folder / "datapackage.json"))
                assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert withheld  # withheld rows, without figures, are valid rows of the package


def test_a_column_missing_from_the_package_fails(api_city: ApiCity, tmp_path: Path) -> None:
    query = {"level": "dong", "every": "day"}
    package = api_city.client.get("/v1/open-data/consumption/datapackage.json", params=query).json()
    (resource,) = package["resources"]
    resource["schema"]["fields"].pop()
    resource["path"] = "data.csv"
    text = api_city.client.get("/v1/open-data/consumption.csv", params=query).text
    (tmp_path / "data.csv").write_text(text, encoding="utf-8")
    (tmp_path / "datapackage.json").write_text(json.dumps(package))
    assert not validate(str(tmp_path / "datapackage.json")).valid


def test_the_portal_sheet_parses(api_city: ApiCity) -> None:
    r = api_city.client.get("/v1/open-data/catalog.csv")
    assert r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Korean spreadsheets
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert list(rows[0]) == list(PORTAL_SHEET_COLUMNS)
    assert [row["목록명"] for row in rows] == [d.title_ko for d in DATASETS]
    for row in rows:
        assert row["제공기관"] == "광주광역시"
        assert "공공누리 제1유형" in row["이용허락범위"]
        assert row["확장자"] == "CSV, JSON"
        assert "5가구 미만" in row["개인정보 보호"]
        assert api_city.client.get(row["메타데이터 URL"]).status_code == 200


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_about_page_links_the_catalogue_and_packages(api_city: ApiCity, lang: str) -> None:
    html = api_city.client.get("/about", params={"lang": lang}).text
    assert 'href="/v1/open-data/catalog"' in html
    assert 'href="/v1/open-data/catalog.csv"' in html
    for d in DATASETS:
        assert f'href="/v1/open-data/consumption/datapackage.json?level={d.level.value}"' in html
    assert ("데이터 카탈로그" if lang == "ko" else "Dataset catalogue") in html


def test_the_columns_are_the_csv_header(api_city: ApiCity) -> None:
    text = api_city.client.get("/v1/open-data/consumption.csv").text
    assert text.splitlines()[1].split(",") == COLUMNS
