"""The open-data catalogue: the datasets the API serves, described once and written as
DCAT-AP JSON-LD (`/v1/open-data/catalog`), as a Frictionless Data Package per CSV export
(`datapackage.json`) and as the metadata sheet 공공데이터포털 (data.go.kr) asks for to register
a file dataset (`/v1/open-data/catalog.csv`)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from stores.open_data.columns import CONSUMPTION_COLUMNS, PERIOD, Level, period_type
from stores.timewin import Every
from telemetry.config.strict import StrictModel

# EU Publications Office authority tables, which DCAT-AP uses.
FREQUENCY_CONTINUOUS = "http://publications.europa.eu/resource/authority/frequency/UPDATE_CONT"
FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
DATA_THEME_ENERGY = "http://publications.europa.eu/resource/authority/data-theme/ENER"
LANGUAGE_KOR = "http://publications.europa.eu/resource/authority/language/KOR"
# Gwangju in GeoNames (the metropolitan city) and its administrative code (광역시 29).
GWANGJU_GEONAMES = "https://sws.geonames.org/1841811/"
GWANGJU_CODE = "29"

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "adms": "http://www.w3.org/ns/adms#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
}


class Publisher(StrictModel):
    """Who publishes the open data and who answers for it: config `open_data` of the API
    (config/api.yaml), read by the catalogue and the 공공데이터포털 metadata sheet."""

    name_ko: str = "광주광역시"
    name_en: str = "Gwangju Metropolitan City"
    homepage: str = "https://www.gwangju.go.kr"
    department: str = "광주광역시"
    email: str = ""
    phone: str = ""
    # 공공데이터포털's classification (분류체계) of the datasets.
    classification: str = "산업·통상·중소기업 - 에너지"
    # First registration of the datasets, and the first day the figures cover.
    issued: dt.date | None = None
    coverage_start: dt.date | None = None


@dataclass(frozen=True)
class Catalogue:
    """What a catalogue is written from: the request's base URL, the licence, the privacy
    threshold k, the publisher and the day it is written (KST)."""

    base_url: str
    licence_url: str
    k: int
    publisher: Publisher
    today: dt.date


@dataclass(frozen=True)
class Dataset:
    """One dataset: one level of the consumption export, as CSV and JSON."""

    key: str
    level: Level
    title_ko: str
    title_en: str
    description_ko: str
    description_en: str
    keywords_ko: tuple[str, ...]
    keywords_en: tuple[str, ...]


_COMMON_KO = (
    "전기·가스·수도·지역난방 사용량과 옥상 태양광 발전량, 온실가스 배출량(kg CO2e)을 "
    "기간(시간·일·월, 한국 시간)별로 제공합니다. 행정 코드, ISO 8601 날짜, 단위가 붙은 열 이름."
)
_COMMON_EN = (
    "Electricity, gas, water and district-heat use, rooftop solar production and greenhouse-gas "
    "emissions (kg CO2e) per period (hour, day, month; Korean time), with administrative "
    "codes, ISO 8601 dates and units in the column names."
)
_KEYWORDS_KO = ("에너지", "전기", "가스", "수도", "지역난방", "태양광", "온실가스", "광주")
_KEYWORDS_EN = ("energy", "electricity", "gas", "water", "district heat", "solar", "CO2e")

DATASETS: tuple[Dataset, ...] = (
    Dataset(
        "consumption-city",
        Level.CITY,
        "광주광역시 에너지 사용량(시 전체)",
        "Gwangju energy use, city-wide",
        "광주광역시 전체의 " + _COMMON_KO,
        "City-wide totals. " + _COMMON_EN,
        (*_KEYWORDS_KO, "시 전체"),
        (*_KEYWORDS_EN, "city"),
    ),
    Dataset(
        "consumption-district",
        Level.DISTRICT,
        "광주광역시 자치구별 에너지 사용량",
        "Gwangju energy use by autonomous district",
        "자치구(5개)별 " + _COMMON_KO,
        "Per autonomous district (자치구). " + _COMMON_EN,
        (*_KEYWORDS_KO, "자치구"),
        (*_KEYWORDS_EN, "district"),
    ),
    Dataset(
        "consumption-dong",
        Level.DONG,
        "광주광역시 행정동별 에너지 사용량",
        "Gwangju energy use by administrative dong",
        "행정동별 " + _COMMON_KO,
        "Per administrative dong (행정동). " + _COMMON_EN,
        (*_KEYWORDS_KO, "행정동"),
        (*_KEYWORDS_EN, "dong"),
    ),
    Dataset(
        "consumption-building-type",
        Level.BUILDING_TYPE,
        "광주광역시 건물 유형별 에너지 사용량",
        "Gwangju energy use by building type",
        "건물 유형(아파트, 단독주택, 산업시설, 학교 등)별 " + _COMMON_KO,
        "Per building type (apartment, detached house, industrial, school, ...). " + _COMMON_EN,
        (*_KEYWORDS_KO, "건물 유형"),
        (*_KEYWORDS_EN, "building type"),
    ),
)


def privacy_note_ko(k: int) -> str:
    return (
        f"개인정보 보호: {k}가구 미만(가구가 없는 집단은 사업장 {k}곳 미만)인 집단은 제공하지 "
        "않습니다. 그 이상이어도 "
        "한 사업장의 사용량이 드러나거나(one_site_dominates) 다른 비공개 집단을 역산할 수 "
        "있으면(protects_another_cell) status = withheld, 수치 없이 withheld_reason과 함께 "
        "표시합니다."
    )


def privacy_note_en(k: int) -> str:
    return (
        f"Privacy: groups with fewer than {k} households (or {k} sites where a group has no "
        "households) are not listed. Groups with enough of them are still withheld when one site's use would show through "
        "(one_site_dominates) or another withheld group could be worked out "
        "(protects_another_cell): listed with status = withheld, no figures and the "
        "withheld_reason."
    )


def csv_url(base_url: str, dataset: Dataset, every: Every | None = None) -> str:
    query = {"level": dataset.level.value} | ({"every": every.value} if every else {})
    return f"{base_url}/v1/open-data/consumption.csv?{urlencode(query)}"


def json_url(base_url: str, dataset: Dataset) -> str:
    return f"{base_url}/v1/open-data/consumption.json?{urlencode({'level': dataset.level.value})}"


def package_url(base_url: str, dataset: Dataset, every: Every | None = None) -> str:
    query = {"level": dataset.level.value} | ({"every": every.value} if every else {})
    return f"{base_url}/v1/open-data/consumption/datapackage.json?{urlencode(query)}"


def dataset_for(level: Level) -> Dataset:
    return next(d for d in DATASETS if d.level is level)


def _ko_en(ko: str, en: str) -> list[dict[str, str]]:
    return [{"@value": ko, "@language": "ko"}, {"@value": en, "@language": "en"}]


def _distribution(
    id_: str, title: tuple[str, str], url: str, kind: str, media: str, licence: dict[str, str]
) -> dict[str, Any]:
    return {
        "@id": id_,
        "@type": "dcat:Distribution",
        "dct:title": _ko_en(f"{title[0]} ({kind})", f"{title[1]} ({kind})"),
        "dcat:accessURL": {"@id": url},
        "dcat:downloadURL": {"@id": url},
        "dct:format": {"@id": FILE_TYPE + kind},
        "dcat:mediaType": {"@id": f"http://www.iana.org/assignments/media-types/{media}"},
        "dct:license": licence,
    }


def dcat_catalog(c: Catalogue) -> dict[str, Any]:
    """The DCAT-AP catalogue of the open data, as JSON-LD (context inline: no fetching)."""
    base_url, k, publisher, today = c.base_url.rstrip("/"), c.k, c.publisher, c.today
    licence_url = c.licence_url
    agent = {
        "@id": publisher.homepage,
        "@type": "foaf:Agent",
        "foaf:name": _ko_en(publisher.name_ko, publisher.name_en),
    }
    licence = {"@id": licence_url, "@type": "dct:LicenseDocument"}
    contact: dict[str, Any] = {
        "@type": "vcard:Organization",
        "vcard:fn": publisher.department,
    }
    if publisher.email:
        contact["vcard:hasEmail"] = {"@id": f"mailto:{publisher.email}"}
    spatial = {
        "@id": GWANGJU_GEONAMES,
        "@type": "dct:Location",
        "skos:prefLabel": _ko_en("광주광역시", "Gwangju Metropolitan City"),
        "skos:notation": GWANGJU_CODE,
    }
    temporal: dict[str, Any] = {"@type": "dct:PeriodOfTime"}
    if publisher.coverage_start:
        temporal["dcat:startDate"] = {
            "@value": publisher.coverage_start.isoformat(),
            "@type": "xsd:date",
        }
    temporal["dcat:endDate"] = {"@value": today.isoformat(), "@type": "xsd:date"}
    datasets = []
    for d in DATASETS:
        url = f"{base_url}/v1/open-data/catalog#{d.key}"
        title = (d.title_ko, d.title_en)
        distributions = [
            _distribution(f"{url}-csv", title, csv_url(base_url, d), "CSV", "text/csv", licence)
            | {
                "dct:conformsTo": {"@id": package_url(base_url, d)},
                "dct:description": _ko_en(
                    "첫 줄은 # 이용허락 주석, 그다음 머리글. 열과 단위: datapackage.json.",
                    "First line a # licence comment, then the header. Columns and units: "
                    "datapackage.json.",
                ),
            },
            _distribution(
                f"{url}-json", title, json_url(base_url, d), "JSON", "application/json", licence
            ),
        ]
        datasets.append(
            {
                "@id": url,
                "@type": "dcat:Dataset",
                "dct:identifier": d.key,
                "dct:title": _ko_en(d.title_ko, d.title_en),
                "dct:description": _ko_en(d.description_ko, d.description_en),
                "dcat:keyword": [{"@value": w, "@language": "ko"} for w in d.keywords_ko]
                + [{"@value": w, "@language": "en"} for w in d.keywords_en],
                "dcat:theme": {"@id": DATA_THEME_ENERGY},
                "dct:publisher": agent,
                "dcat:contactPoint": contact,
                "dct:license": licence,
                "dct:accrualPeriodicity": {"@id": FREQUENCY_CONTINUOUS, "@type": "dct:Frequency"},
                "dct:spatial": spatial,
                "dct:temporal": temporal,
                "dct:language": {"@id": LANGUAGE_KOR},
                "dct:modified": {"@value": today.isoformat(), "@type": "xsd:date"},
                "dcat:landingPage": {"@id": f"{base_url}/about"},
                "rdfs:comment": _ko_en(privacy_note_ko(k), privacy_note_en(k)),
                "dcat:distribution": distributions,
            }
        )
    catalog: dict[str, Any] = {
        "@context": CONTEXT,
        "@id": f"{base_url}/v1/open-data/catalog",
        "@type": "dcat:Catalog",
        "dct:title": _ko_en(
            "광주 에너지 정보 플랫폼 공공데이터", "Gwangju energy platform open data"
        ),
        "dct:description": _ko_en(
            "광주광역시 에너지 정보 플랫폼이 공개하는 집계 데이터. " + privacy_note_ko(k),
            "The aggregates the Gwangju energy information platform publishes. "
            + privacy_note_en(k),
        ),
        "dct:publisher": agent,
        "dct:license": licence,
        "dct:language": {"@id": LANGUAGE_KOR},
        "dct:spatial": spatial,
        "dct:modified": {"@value": today.isoformat(), "@type": "xsd:date"},
        "foaf:homepage": {"@id": f"{base_url}/about"},
        "dcat:dataset": datasets,
    }
    if publisher.issued:
        catalog["dct:issued"] = {"@value": publisher.issued.isoformat(), "@type": "xsd:date"}
    return catalog


def data_package(
    base_url: str,
    dataset: Dataset,
    every: Every,
    licence_name: str,
    licence_url: str,
    attribution: str,
    k: int,
) -> dict[str, Any]:
    """A Frictionless Data Package of one CSV export, its schema from the CSV's columns."""
    base_url = base_url.rstrip("/")
    fields = []
    for c in CONSUMPTION_COLUMNS:
        f: dict[str, Any] = {
            "name": c.name,
            "title": c.title_ko,
            "type": period_type(every) if c.type == PERIOD else c.type,
            "description": c.description + (f" (unit: {c.unit})" if c.unit else ""),
        }
        if c.unit:
            f["unit"] = c.unit
        if c.constraints:
            f["constraints"] = dict(c.constraints)
        fields.append(f)
    return {
        "profile": "tabular-data-package",
        "name": f"gwangju-energy-{dataset.key}-{every.value}",
        "title": f"{dataset.title_ko} / {dataset.title_en} ({every.value})",
        "description": f"{dataset.description_en} {privacy_note_en(k)}",
        "homepage": f"{base_url}/about",
        "licenses": [{"name": "KOGL-Type1", "path": licence_url, "title": licence_name}],
        "sources": [{"title": attribution, "path": f"{base_url}/about"}],
        "keywords": list(dataset.keywords_en),
        "updateFrequency": "continuous: hourly, daily and monthly totals each time the "
        "rollup runs (every few minutes); revised figures carry `revised`",
        "privacy": {
            "rule": "k-anonymity threshold, dominance and complementary withholding",
            "k": k,
            "below_k": "groups with fewer than k households (or k sites where a group has no "
            "households) are not listed",
            "withheld_rows": "status = withheld: no figures; withheld_reason says why "
            "(one_site_dominates, protects_another_cell)",
            "description_ko": privacy_note_ko(k),
        },
        "resources": [
            {
                "name": f"consumption-{dataset.level.value.replace('_', '-')}-{every.value}",
                "path": csv_url(base_url, dataset, every),
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "dialect": {"delimiter": ",", "headerRows": [2], "commentChar": "#"},
                "licenses": [{"name": "KOGL-Type1", "path": licence_url}],
                "schema": {"fields": fields, "missingValues": [""]},
            }
        ],
    }


# 공공데이터포털 (data.go.kr) 파일데이터 등록 항목, in the portal's order; see api/README.md.
PORTAL_SHEET_COLUMNS = (
    "목록명",
    "설명",
    "분류체계",
    "제공기관",
    "관리부서명",
    "관리부서 전화번호",
    "관리부서 이메일",
    "키워드",
    "업데이트 주기",
    "제공형태",
    "확장자",
    "다운로드 URL",
    "메타데이터 URL",
    "이용허락범위",
    "공간범위",
    "시간범위",
    "개인정보 보호",
    "등록일",
    "수정일",
)


def portal_sheet(c: Catalogue) -> str:
    """The datasets as the metadata sheet 공공데이터포털 asks for: CSV, UTF-8 with BOM."""
    base_url, k, publisher, today = c.base_url.rstrip("/"), c.k, c.publisher, c.today
    licence_url = c.licence_url
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(PORTAL_SHEET_COLUMNS)
    for d in DATASETS:
        writer.writerow(
            (
                d.title_ko,
                d.description_ko,
                publisher.classification,
                publisher.name_ko,
                publisher.department,
                publisher.phone,
                publisher.email,
                ",".join(d.keywords_ko),
                "실시간",
                "파일(다운로드), 오픈API",
                "CSV, JSON",
                csv_url(base_url, d),
                package_url(base_url, d),
                f"공공누리 제1유형(출처표시) {licence_url}",
                "광주광역시",
                (publisher.coverage_start.isoformat() if publisher.coverage_start else "")
                + f"~{today.isoformat()}",
                privacy_note_ko(k),
                publisher.issued.isoformat() if publisher.issued else "",
                today.isoformat(),
            )
        )
    return out.getvalue()
