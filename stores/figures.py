"""Response models (pydantic v2): what the OpenAPI document shows, with examples.

Figures are rounded in JSON by `telemetry.rounding.round_figure` (the rule the
open-data CSV and the boards use too); arithmetic inside the API stays exact.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from telemetry.fields import Utility
from telemetry.rounding import AMOUNT, round_figure

Status = Literal["ok", "suppressed", "no_data"]

UNITS = {"electricity": "kWh", "solar": "kWh", "heat": "kWh", "gas": "m3", "water": "m3"}
RATE_UNITS = {"electricity": "kW", "solar": "kW", "heat": "kW", "gas": "m3/h", "water": "m3/h"}


def _rounded(unit: str) -> PlainSerializer:
    return PlainSerializer(
        lambda v: round_figure(v, unit), return_type=float | None, when_used="json"
    )


Amount = Annotated[float | None, _rounded(AMOUNT)]  # consumption, in kWh or m³
Rate = Annotated[float | None, _rounded("kW")]  # kW or m³/h: the same decimals
Kg = Annotated[float | None, _rounded("kg")]
Ratio = Annotated[float | None, _rounded("ratio")]
Percent = Annotated[float | None, _rounded("%")]


def _simulated_sites() -> Any:
    """The field beside `sites` saying how many are simulated ("simulated says so")."""
    return Field(
        default=None,
        description="how many of `sites` are simulated meters (a demonstration); present when "
        "the platform has simulated sites",
    )


class Withheld(BaseModel):
    """Where a figure is missing, `status` says why and `reason` explains it."""

    status: Status = Field(description="ok, or why there is no number")
    reason: str | None = Field(default=None, description="why the figure is withheld")


class GroupRef(BaseModel):
    district: str = Field(description="5-digit district code or `all`", examples=["29200"])
    dong: str = Field(description="10-digit administrative dong code or `all`", examples=["all"])
    building_type: str = Field(description="building type or `all`", examples=["all"])


class LiveFigure(Withheld):
    utility: Utility
    unit: str = Field(examples=["kW"])
    rate: Rate = Field(default=None, description="total power (kW) or flow (m³/h)")
    meters: int | None = Field(default=None, description="meters that reported in the minute")
    sites: int | None = None
    simulated_sites: int | None = _simulated_sites()


class SelfSufficiency(Withheld):
    solar_kw: Rate = None
    electricity_kw: Rate = None
    ratio: Ratio = Field(
        default=None,
        description="solar generation / metered electricity use in the same minute (may exceed 1)",
        examples=[0.18],
    )


class DistrictLive(BaseModel):
    code: str = Field(examples=["29200"])
    name_ko: str = Field(examples=["광산구"])
    name_en: str = Field(examples=["Gwangsan-gu"])
    utilities: list[LiveFigure]
    self_sufficiency: SelfSufficiency


class CityLive(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "minute": "2026-11-24T19:42:00+09:00",
                "utilities": [
                    {
                        "utility": "electricity",
                        "unit": "kW",
                        "status": "ok",
                        "rate": 5230.4,
                        "meters": 812,
                        "sites": 240,
                    }
                ],
                "self_sufficiency": {
                    "status": "ok",
                    "solar_kw": 610.2,
                    "electricity_kw": 5230.4,
                    "ratio": 0.117,
                },
                "districts": [],
            }
        }
    )
    minute: str | None = Field(description="start of the minute shown (ISO 8601, KST)")
    utilities: list[LiveFigure]
    self_sufficiency: SelfSufficiency
    districts: list[DistrictLive]


class District(BaseModel):
    code: str = Field(examples=["29140"])
    name_ko: str = Field(examples=["서구"])
    name_en: str = Field(examples=["Seo-gu"])
    households: int | None = Field(default=None, description="households (Statistics Korea)")
    population: int | None = None
    dongs: int = Field(description="number of administrative dongs")


class Dong(BaseModel):
    code: str = Field(examples=["2914083000"])
    name_ko: str = Field(examples=["풍암동"])
    district: str = Field(examples=["29140"])


class BuildingTypeInfo(BaseModel):
    code: str = Field(examples=["apartment"])
    name_ko: str = Field(examples=["아파트"])
    name_en: str = Field(examples=["Apartment"])


class SeriesPoint(Withheld):
    start: str = Field(
        description="period start, ISO 8601 (KST)", examples=["2026-11-01T00:00:00+09:00"]
    )
    end: str = Field(description="period end (exclusive)")
    consumption: Amount = Field(default=None, description="in `unit`")
    co2e_kg: Kg = None
    households: int | None = Field(default=None, description="households behind the figure")
    sites: int | None = None
    simulated_sites: int | None = _simulated_sites()
    revised: str | None = Field(
        default=None,
        description="when the figure was last revised after its period ended (history "
        "imported late, late readings), ISO 8601; the figure shown is the revised one",
    )
    revision_withheld: str | None = Field(
        default=None,
        description="when a revision of the figure was withheld by the disclosure rules, "
        "ISO 8601: the figure shown is the one published before it",
    )


class Total(Withheld):
    start: str
    end: str
    consumption: Amount = None
    co2e_kg: Kg = None
    complete: bool = Field(description="every period of the window has a published figure")


class Comparison(Total):
    change_pct: Percent = Field(
        default=None, description="(this window - compared window) / compared window × 100"
    )


class Series(BaseModel):
    group: GroupRef
    utility: Utility
    unit: str = Field(examples=["kWh"])
    every: Literal["hour", "day", "month"]
    points: list[SeriesPoint]
    total: Total
    previous_period: Comparison
    previous_year: Comparison


class RankedDong(Withheld):
    rank: int | None = Field(default=None, description="1 = highest use per household")
    district: str
    dong: str
    name_ko: str
    consumption: Amount = None
    households: int | None = None
    per_household: Amount = Field(default=None, description="consumption / households")
    sites: int | None = None
    simulated_sites: int | None = _simulated_sites()


class Ranking(BaseModel):
    utility: Utility
    unit: str
    start: str
    end: str
    dongs: list[RankedDong]


class OpenDataIndex(BaseModel):
    licence: dict[str, str]
    datasets: list[dict[str, str]]
