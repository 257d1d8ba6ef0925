"""CO2e emission factors per utility (config/emission_factors.yaml, with source and year).

Shared by the rollups (CO2e per group and period) and the API (CO2e avoided).
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from telemetry.fields import Utility
from telemetry.paths import config_dir


class Factor(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kg_co2e_per_unit: float = Field(ge=0)
    unit: str
    source: str
    year: int | None = None


class EmissionFactors(BaseModel):
    model_config = ConfigDict(extra="forbid")

    factors: dict[Utility, Factor]

    def kg(self, utility: Utility | str, amount: float) -> float:
        factor = self.factors.get(Utility(utility))
        return amount * factor.kg_co2e_per_unit if factor else 0.0


def load_emission_factors(path: Path | None = None) -> EmissionFactors:
    path = path or config_dir() / "emission_factors.yaml"
    return EmissionFactors.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
