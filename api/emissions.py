"""CO2e emission factors (config/emission_factors.yaml) for households' CO2e avoided.

A copy of the rollup's small loader: packages import only telemetry, never each other.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, Field

from telemetry.paths import config_dir


class Factor(BaseModel):
    kg_co2e_per_unit: float = Field(ge=0)
    unit: str
    source: str
    year: int | None = None


class EmissionFactors(BaseModel):
    factors: dict[str, Factor]

    def kg(self, utility: str, amount: float) -> float:
        factor = self.factors.get(utility)
        return amount * factor.kg_co2e_per_unit if factor else 0.0


def load_emission_factors(path: Path | None = None) -> EmissionFactors:
    path = path or config_dir() / "emission_factors.yaml"
    return EmissionFactors.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
