"""Households in the city's support programmes, and the programmes themselves.

Two files beside the sites file that names them (`households:` and
`programmes:` in config/sites/*.yaml): config/programmes.yaml lists the
programmes, config/households/*.yaml the households and their enrolments.
A household lives at a site (its own `household` site, or an apartment
complex) or, without any site, in an administrative dong; its metered data is
the meters it names (`meter` of its site, or `site/meter` of any site, e.g.
an importer's), and by default every meter of its own `household` site.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

from telemetry.config.strict import FrozenStrictModel
from telemetry.ids import Identifier
from telemetry.registry.sites import BuildingType

# `meter` of the household's own site, or `site/meter`.
MeterRef = Annotated[
    str, StringConstraints(pattern=r"^([a-z0-9][a-z0-9._-]{0,63}/)?[a-z0-9][a-z0-9._-]{0,63}$")
]


class ProgrammeKind(StrEnum):
    RETROFIT = "retrofit"  # insulation, windows, boilers, LED
    SOLAR_SUBSIDY = "solar_subsidy"  # rooftop or balcony PV
    ENERGY_VOUCHER = "energy_voucher"  # help for energy-poor households
    FEEDBACK = "feedback"  # information, in-home displays, coaching
    OTHER = "other"


class SizeBand(StrEnum):
    """Floor area (전용면적) bands of Korean housing statistics, in m²."""

    UNDER_40 = "lt40"
    FROM_40_TO_60 = "40-60"
    FROM_60_TO_85 = "60-85"
    FROM_85_TO_135 = "85-135"
    FROM_135 = "ge135"


class Programme(FrozenStrictModel):
    id: Identifier
    name_ko: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    kind: ProgrammeKind
    start: dt.date = Field(description="first day households could enrol")
    end: dt.date | None = Field(default=None, description="last day of enrolment, if closed")


class ProgrammesFile(FrozenStrictModel):
    """The top level of config/programmes.yaml."""

    programmes: list[Programme] = Field(default_factory=list)


class Enrolment(FrozenStrictModel):
    programme: Identifier
    start: dt.date
    end: dt.date | None = Field(default=None, description="left the programme (inclusive)")
    measures: list[str] = Field(default_factory=list, description="what was done, free text")

    def covers(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


class Household(FrozenStrictModel):
    id: Identifier
    site: Identifier | None = Field(default=None, description="the site it lives at")
    dong: str | None = Field(
        default=None, pattern=r"^\d{10}$", description="standalone: its administrative dong"
    )
    unit: str | None = Field(
        default=None,
        max_length=32,
        description="its unit at its site (config/units/<site>.yaml), e.g. 101-1203",
    )
    building_type: BuildingType
    size_band: SizeBand
    meters: list[MeterRef] | None = Field(
        default=None,
        description="its meters: `meter` of its site or `site/meter`; "
        "default: every meter of its own household site",
    )
    enrolments: list[Enrolment] = Field(default_factory=list)
    # A household at no unit (its own site, or standalone): when it moved in and out, so its
    # link opens its own months only (a household at a unit has its tenancy instead).
    moved_in: dt.date | None = Field(default=None, description="moved in (not at a unit)")
    moved_out: dt.date | None = Field(default=None, description="moved out (not at a unit)")


class HouseholdsFile(FrozenStrictModel):
    """The top level of config/households/*.yaml."""

    households: list[Household] = Field(default_factory=list)
