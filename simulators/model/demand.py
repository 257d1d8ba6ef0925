"""Demand per utility: the rate a meter measures at a simulated time.

Household figures are calibrated on the domain reference (4-person household):
electricity ~307 kWh/month (August 325-363), city gas ~120 m³ in January and
~46 m³ a month on average, water ~18-20 m³/month, district heat ~1.3 Gcal in
January. Gas and heat follow heating degree-hours below 18 °C; the constants
below were tuned with tests/simulators/test_month.py.
"""

from __future__ import annotations

from simulators.model import climate, shapes
from simulators.model.noise import smooth
from simulators.model.spec import LoadSpec

HOUSEHOLD_KW = 307.0 / 730.0  # mean electric load of a household
# Month factors (Jan..Dec): winter heating aids, August air conditioning.
ELEC_SEASON = (1.03, 1.0, 0.95, 0.92, 0.92, 0.95, 1.05, 1.12, 1.0, 0.92, 0.94, 1.02)
WATER_M3H = 19.0 / 730.0
WATER_SEASON = (0.97, 0.97, 0.98, 1.0, 1.0, 1.02, 1.03, 1.03, 1.01, 1.0, 0.98, 0.97)
GAS_BASE_M3H = 11.0 / 730.0  # cooking and hot water
GAS_M3_PER_DEGREE_HOUR = 0.21 / 24.0
HEAT_BASE_KW = 170.0 / 730.0  # domestic hot water
HEAT_KWH_PER_DEGREE_HOUR = 2.6 / 24.0
HEATING_BASE_C = 18.0
KWH_PER_GCAL = 1163.0


class Demand:
    """The main rate of a meter (kW or m³/h) at time t, and its drivers."""

    def __init__(self, spec: LoadSpec) -> None:
        self.spec = spec
        self.key = spec.key
        self.weather = spec.weather_key
        self.scale = self._scale()
        self.jitter = spec.draw("jitter", 0.05, 0.1)

    def _scale(self) -> float:
        """Households for residential meters; the meter's size for others."""
        spec = self.spec
        if spec.residential:
            return max(spec.households, 1.0)
        sizes = {
            # peak kW, m³/h, m³/h, kW, kWp
            "electricity": (150.0, 600.0) if spec.industrial else (40.0, 200.0),
            "gas": (20.0, 80.0) if spec.industrial else (3.0, 15.0),
            "water": (5.0, 25.0) if spec.industrial else (1.0, 5.0),
            "heat": (150.0, 500.0) if spec.industrial else (50.0, 200.0),
        }
        low, high = sizes.get(spec.utility, (1.0, 2.0))
        return spec.draw("size", low, high)

    def noise(self, t: float) -> float:
        """Slow random variation (15-minute knots), deterministic for the seed."""
        return 1.0 + self.jitter * smooth(self.key, t, 900.0)

    def outdoor(self, t: float) -> float:
        return climate.outdoor_temp_c(t, self.weather)

    def degree_hours(self, t: float) -> float:
        """Heating need in K below the heating base temperature."""
        return max(0.0, HEATING_BASE_C - self.outdoor(t))

    def activity(self, t: float) -> float:
        """Non-residential occupancy relative to full operation."""
        hour = climate.local_hour(t)
        weekday = climate.local_weekday(t)
        if self.spec.industrial:
            return shapes.shift_factor(hour, weekday)
        office = shapes.hourly(shapes.OFFICE, hour) / max(shapes.OFFICE)
        return office if weekday < 5 else 0.2

    def rate(self, t: float) -> float:
        raise NotImplementedError


class ElectricityDemand(Demand):
    def rate(self, t: float) -> float:
        month = climate.local_month(t)
        hour = climate.local_hour(t)
        if not self.spec.residential:
            return self.scale * self.activity(t) * self.noise(t)
        shape = shapes.ELEC_SUMMER if month in shapes.SUMMER_MONTHS else shapes.ELEC_OTHER
        weekend = 1.05 if climate.local_weekday(t) >= 5 else 0.98
        per_household = HOUSEHOLD_KW * ELEC_SEASON[month - 1] * shapes.hourly(shape, hour)
        return self.scale * per_household * weekend * self.noise(t)


class WaterDemand(Demand):
    def rate(self, t: float) -> float:
        if not self.spec.residential:
            return self.scale * (0.1 + 0.9 * self.activity(t)) * self.noise(t)
        month = climate.local_month(t)
        shape = shapes.hourly(shapes.WATER, climate.local_hour(t))
        return self.scale * WATER_M3H * WATER_SEASON[month - 1] * shape * self.noise(t)


class GasDemand(Demand):
    def rate(self, t: float) -> float:
        hour = climate.local_hour(t)
        heating = self.degree_hours(t)
        if not self.spec.residential:
            process = 0.5 * self.activity(t)
            return self.scale * (process + 0.5 * heating / 20.0) * self.noise(t)
        base = GAS_BASE_M3H * shapes.hourly(shapes.COOKING, hour)
        space = GAS_M3_PER_DEGREE_HOUR * heating * shapes.hourly(shapes.HEATING, hour)
        return self.scale * (base + space) * self.noise(t)


class HeatDemand(Demand):
    def rate(self, t: float) -> float:
        hour = climate.local_hour(t)
        heating = self.degree_hours(t)
        if not self.spec.residential:
            return self.scale * (0.1 + 0.9 * min(1.0, heating / 20.0)) * self.noise(t)
        base = HEAT_BASE_KW * shapes.hourly(shapes.WATER, hour)
        space = HEAT_KWH_PER_DEGREE_HOUR * heating * shapes.hourly(shapes.HEATING, hour)
        return self.scale * (base + space) * self.noise(t)


class SolarDemand(Demand):
    """Generation: capacity x clear-sky fraction x clouds."""

    def _scale(self) -> float:
        # kWp of a rooftop array; at most 120 kW, so the SunSpec map's total AC
        # current (uint16, A_SF -2: at most 655 A) holds it
        if self.spec.residential and self.spec.households <= 1:
            return self.spec.draw("size", 3.0, 6.0)
        return self.spec.draw("size", 30.0, 120.0)

    def rate(self, t: float) -> float:
        elevation = climate.solar_elevation_sin(t)
        if elevation <= 0.0:
            return 0.0
        clear = 0.85 * elevation**1.2
        cloud = climate.cloud_cover(t, self.weather)
        passing = 0.15 * cloud * (1.0 - cloud) * 4.0 * smooth(self.key, t, 600.0)
        return max(0.0, self.scale * clear * (1.0 - 0.75 * cloud + passing))


DEMANDS: dict[str, type[Demand]] = {
    "electricity": ElectricityDemand,
    "water": WaterDemand,
    "gas": GasDemand,
    "heat": HeatDemand,
    "solar": SolarDemand,
}


def demand_for(spec: LoadSpec) -> Demand:
    return DEMANDS[spec.utility](spec)
