"""What a load model needs to know about one meter."""

from __future__ import annotations

from dataclasses import dataclass

from simulators.model.noise import key_of, uniform


@dataclass(frozen=True, slots=True)
class LoadSpec:
    """One meter's place in the world: utility, building type, households behind it."""

    seed: int
    site: str
    meter: str
    utility: str  # telemetry.fields.Utility value
    building_type: str  # telemetry.registry.BuildingType value
    households: float = 0.0  # residential: households behind this meter

    @property
    def key(self) -> int:
        return key_of(self.seed, self.site, self.meter)

    @property
    def weather_key(self) -> int:
        # one weather per city and seed: every meter sees the same cold day
        return key_of(self.seed, "weather")

    def draw(self, name: str, low: float, high: float) -> float:
        """A fixed per-meter parameter in [low, high) (size, imbalance, ...)."""
        return low + (high - low) * uniform(key_of(self.seed, self.site, self.meter, name), 0)

    @property
    def residential(self) -> bool:
        return self.building_type in ("apartment", "detached_house")

    @property
    def industrial(self) -> bool:
        return self.building_type == "industrial"
