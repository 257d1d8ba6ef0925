"""CO2e emission factors per utility (config/emission_factors.yaml, with source and year).

Shared by the rollups (CO2e per group and period) and the API (CO2e avoided).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from telemetry.config.strict import StrictModel
from telemetry.config.yaml_model import load_model
from telemetry.fields import Utility
from telemetry.paths import config_dir

VERSION = 1


class Factor(StrictModel):
    kg_co2e_per_unit: float = Field(ge=0)
    unit: str
    source: str
    year: int | None = None


class EmissionFactors(StrictModel):
    factors: dict[Utility, Factor]

    def kg(self, utility: Utility | str, amount: float) -> float:
        factor = self.factors.get(Utility(utility))
        return amount * factor.kg_co2e_per_unit if factor else 0.0


def load_emission_factors(path: Path | None = None) -> EmissionFactors:
    """The factors file, strictly (ConfigError with file:line on a mistake)."""
    return load_model(
        path or config_dir() / "emission_factors.yaml", EmissionFactors, version=VERSION
    )
