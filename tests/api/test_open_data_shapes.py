"""The catalogue against the DCAT-AP shapes kept in the repository, and the Data Package's
schema against the CSV's columns, without a server: each broken catalogue must fail."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pyshacl import validate
from rdflib import Graph

import stores.open_data
from stores.open_data.catalog import DATASETS, Catalogue, Publisher, data_package, dcat_catalog
from stores.open_data.columns import COLUMNS, CONSUMPTION_COLUMNS, Level
from stores.timewin import Every

SHAPES = Path(stores.open_data.__file__).parent / "shapes" / "dcat-ap-core.ttl"
KOGL = "https://www.kogl.or.kr/info/licenseType1.do"


def conforms(catalog: dict[str, Any]) -> tuple[bool, str]:
    """Whether a JSON-LD catalogue passes the DCAT-AP shapes (warnings allowed), and why not."""
    data = Graph().parse(data=json.dumps(catalog), format="json-ld")
    shapes = Graph().parse(SHAPES, format="turtle")
    ok, _, text = validate(data, shacl_graph=shapes, allow_warnings=True)
    return bool(ok), str(text)


def _catalog() -> dict[str, Any]:
    return dcat_catalog(Catalogue("http://example.org", KOGL, 5, Publisher(), dt.date(2026, 1, 1)))


def _first_dataset(c: dict[str, Any]) -> dict[str, Any]:
    return c["dcat:dataset"][0]


def _first_distribution(c: dict[str, Any]) -> dict[str, Any]:
    return _first_dataset(c)["dcat:distribution"][0]


BREAKS: dict[str, tuple[Callable[[dict[str, Any]], dict[str, Any]], str]] = {
    "dataset without title": (_first_dataset, "dct:title"),
    "dataset without description": (_first_dataset, "dct:description"),
    "dataset without keywords": (_first_dataset, "dcat:keyword"),
    "dataset without spatial coverage": (_first_dataset, "dct:spatial"),
    "dataset without distributions": (_first_dataset, "dcat:distribution"),
    "catalogue without publisher": (lambda c: c, "dct:publisher"),
    "catalogue without datasets": (lambda c: c, "dcat:dataset"),
    "distribution without access URL": (_first_distribution, "dcat:accessURL"),
    "distribution without licence": (_first_distribution, "dct:license"),
}


def test_the_catalogue_conforms() -> None:
    ok, text = conforms(_catalog())
    assert ok, text


@pytest.mark.parametrize("case", sorted(BREAKS))
def test_a_catalogue_missing_a_mandatory_property_fails(case: str) -> None:
    catalog = copy.deepcopy(_catalog())
    where, prop = BREAKS[case]
    del where(catalog)[prop]
    ok, text = conforms(catalog)
    assert not ok, case
    assert "Violation" in text


def test_a_distribution_needs_a_format_or_media_type() -> None:
    catalog = copy.deepcopy(_catalog())
    distribution = _first_distribution(catalog)
    del distribution["dct:format"]
    assert conforms(catalog)[0]  # the media type alone will do
    del distribution["dcat:mediaType"]
    assert not conforms(catalog)[0]


def test_every_level_is_a_dataset() -> None:
    assert {d.level for d in DATASETS} == set(Level)
    assert len({d.key for d in DATASETS}) == len(DATASETS)


@pytest.mark.parametrize("every", list(Every))
def test_the_package_lists_the_csv_columns(every: Every) -> None:
    package = data_package("http://example.org", DATASETS[0], every, "KOGL", KOGL, "x", 5)
    (resource,) = package["resources"]
    fields = resource["schema"]["fields"]
    assert [f["name"] for f in fields] == COLUMNS == [c.name for c in CONSUMPTION_COLUMNS]
    units = {f["name"]: f.get("unit") for f in fields}
    assert units["consumption_kwh"] == "kWh" and units["consumption_m3"] == "m3"
    assert units["co2e_kg"] == "kg CO2e"
    assert package["privacy"]["k"] == 5
    assert package["licenses"][0]["path"] == KOGL
    period = "datetime" if every is Every.HOUR else "date"
    assert {f["type"] for f in fields if f["name"].startswith("period_")} == {period}
