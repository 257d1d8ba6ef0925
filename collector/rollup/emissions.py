"""CO2e emission factors per utility (config/emission_factors.yaml, with source and year)."""

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
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return EmissionFactors.model_validate(data)
