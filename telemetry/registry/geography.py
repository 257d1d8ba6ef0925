"""Gwangju's districts and administrative dongs, from config/geo/."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from telemetry.paths import config_dir


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


def load_geography(directory: Path | None = None) -> Geography:
    return _load(directory or config_dir() / "geo")


@cache
def _load(directory: Path) -> Geography:
    meta = yaml.safe_load((directory / "districts.yaml").read_text(encoding="utf-8"))
    figures = {d["code"]: d for d in meta["districts"]}
    districts: dict[str, District] = {}
    dongs: dict[str, Dong] = {}
    with (directory / "gwangju_dongs.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            code = row["district_code"]
            if code not in districts:
                extra = figures.get(code, {})
                districts[code] = District(
                    code,
                    row["district_ko"],
                    row["district_en"],
                    extra.get("population"),
                    extra.get("households"),
                )
            dongs[row["dong_code"]] = Dong(row["dong_code"], row["dong_ko"], code)
    return Geography(districts, dongs)
