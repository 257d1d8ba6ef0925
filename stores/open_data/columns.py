"""The columns of the consumption export: one definition the CSV writer, the JSON body and
the export's Data Package (datapackage.json) all read, so a column cannot be in one and
missing from another."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from stores.timewin import Every
from telemetry.fields import Utility


class Level(StrEnum):
    """Which groups an export lists."""

    CITY = "city"
    DISTRICT = "district"
    DONG = "dong"
    BUILDING_TYPE = "building_type"


# Why a group of the file has no figures (`status` = withheld): the disclosure rule.
WITHHELD_REASONS = {"dominated": "one_site_dominates", "complementary": "protects_another_cell"}
STATUSES = ("ok", "withheld")

# Period columns are dates (days and months, KST) or, for hours, date-times with offset.
PERIOD = "period"


@dataclass(frozen=True)
class Column:
    """One column: Table Schema type, unit (None: none), description, constraints."""

    name: str
    type: str
    description: str
    title_ko: str
    unit: str | None = None
    constraints: dict[str, Any] = field(default_factory=dict)


CONSUMPTION_COLUMNS: tuple[Column, ...] = (
    Column(
        "period_start",
        PERIOD,
        "first instant of the period (ISO 8601; days and months as dates in KST)",
        "기간 시작",
        constraints={"required": True},
    ),
    Column(
        "period_end",
        PERIOD,
        "first instant after the period (exclusive end)",
        "기간 끝(미포함)",
        constraints={"required": True},
    ),
    Column(
        "every",
        "string",
        "period size",
        "기간 단위",
        constraints={"required": True, "enum": [e.value for e in Every]},
    ),
    Column(
        "level",
        "string",
        "which groups the file lists",
        "집계 수준",
        constraints={"required": True, "enum": [v.value for v in Level]},
    ),
    Column(
        "district_code",
        "string",
        "autonomous district (자치구), 5-digit administrative code; empty above districts",
        "자치구 코드",
        constraints={"pattern": "[0-9]{5}"},
    ),
    Column("district_name_ko", "string", "district name in Korean", "자치구명"),
    Column(
        "dong_code",
        "string",
        "administrative dong (행정동), 10-digit administrative code; empty above dongs",
        "행정동 코드",
        constraints={"pattern": "[0-9]{10}"},
    ),
    Column("dong_name_ko", "string", "dong name in Korean", "행정동명"),
    Column(
        "building_type",
        "string",
        "building type code (see /v1/building-types); empty unless level = building_type",
        "건물 유형",
    ),
    Column(
        "utility",
        "string",
        "electricity, gas, water, district heat or rooftop solar (production)",
        "에너지원",
        constraints={"required": True, "enum": [u.value for u in Utility]},
    ),
    Column(
        "consumption_kwh",
        "number",
        "use in the period, for electricity, heat and solar; empty otherwise or when withheld",
        "사용량(kWh)",
        unit="kWh",
    ),
    Column(
        "consumption_m3",
        "number",
        "use in the period, for gas and water; empty otherwise or when withheld",
        "사용량(m³)",
        unit="m3",
    ),
    Column(
        "co2e_kg",
        "number",
        "greenhouse-gas emissions of the use (emission factors on the portal's about page)",
        "온실가스 배출량(kg CO2e)",
        unit="kg CO2e",
    ),
    Column(
        "households",
        "integer",
        "metered households in the group",
        "가구 수",
        constraints={"minimum": 0},
    ),
    Column(
        "sites",
        "integer",
        "metered sites (buildings, facilities) in the group",
        "사업장·건물 수",
        constraints={"minimum": 0},
    ),
    Column(
        "simulated_sites",
        "integer",
        "how many of `sites` are simulated meters (a demonstration); empty when the platform "
        "has none",
        "모의 계량 사업장 수",
        constraints={"minimum": 0},
    ),
    Column(
        "status",
        "string",
        "ok: figures shown; withheld: listed without figures by the disclosure rule",
        "공개 상태",
        constraints={"required": True, "enum": list(STATUSES)},
    ),
    Column(
        "withheld_reason",
        "string",
        "why a withheld group has no figures: one_site_dominates (one site's use would "
        "show through) or protects_another_cell (another withheld group could be worked out)",
        "비공개 사유",
        constraints={"enum": sorted(WITHHELD_REASONS.values())},
    ),
    Column(
        "revised",
        "datetime",
        "when a figure was revised after its period ended (ISO 8601, KST)",
        "수정 시각",
    ),
    Column(
        "revision_withheld",
        "datetime",
        "when a revision was withheld by the same rules (the figure is the one published before)",
        "수정 비공개 시각",
    ),
)

COLUMNS: list[str] = [c.name for c in CONSUMPTION_COLUMNS]


def period_type(every: Every) -> str:
    """The Table Schema type of the period columns for this period size."""
    return "datetime" if every is Every.HOUR else "date"
