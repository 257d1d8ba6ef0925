"""Gwangju's districts and administrative dongs, from config/geo/."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pydantic import Field

from telemetry.config.strict import StrictModel
from telemetry.config.yaml_model import load_model
from telemetry.paths import config_dir

VERSION = 1


@dataclass(frozen=True, slots=True)
class District:
    code: str
    name_ko: str
    name_en: str
    population: int | None
    households: int | None


@dataclass(frozen=True, slots=True)
class Dong:
    code: str
    name_ko: str
    district: str


@dataclass(frozen=True)
class Geography:
    districts: dict[str, District]
    dongs: dict[str, Dong]

    def dongs_of(self, district: str) -> list[Dong]:
        return [d for d in self.dongs.values() if d.district == district]


class DistrictFigures(StrictModel):
    """One district's figures in config/geo/districts.yaml."""

    code: str = Field(pattern=r"^\d{5}$")
    name_ko: str
    name_en: str
    population: int | None = Field(default=None, ge=0)
    households: int | None = Field(default=None, ge=0)
    households_estimate: bool = False


class DistrictsFile(StrictModel):
    source: str
    districts: list[DistrictFigures]


def load_geography(directory: Path | None = None) -> Geography:
    return _load(directory or config_dir() / "geo")


@cache
def _load(directory: Path) -> Geography:
    meta = load_model(directory / "districts.yaml", DistrictsFile, version=VERSION)
    figures = {d.code: d for d in meta.districts}
    districts: dict[str, District] = {}
    dongs: dict[str, Dong] = {}
    with (directory / "gwangju_dongs.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            code = row["district_code"]
            if code not in districts:
                extra = figures.get(code)
                districts[code] = District(
                    code,
                    row["district_ko"],
                    row["district_en"],
                    extra.population if extra else None,
                    extra.households if extra else None,
                )
            dongs[row["dong_code"]] = Dong(row["dong_code"], row["dong_ko"], code)
    return Geography(districts, dongs)
