"""What a meter of each utility shows: counters, rates and the gauges around them.

Counters are integrated from the rates by `simulators.model.state`; the
instruments only say which rate feeds which counter and derive the other
gauges (three-phase values, heat-water temperatures) consistently from the
same demand.
"""

from __future__ import annotations

import math

from simulators.model.demand import Demand, demand_for
from simulators.model.noise import key_of, smooth
from simulators.model.spec import LoadSpec

NOMINAL_V = 225.0  # measured L-N voltage on Korea's 220/380 V networks
WATER_KWH_PER_M3K = 1.163  # heat carried by one m³ of water per kelvin


class Instrument:
    """Base: one counter fed by the demand's rate."""

    counters: tuple[str, ...] = ()
    rate_field = ""
    # the gauge that feeds each counter (None: the counter does not move)
    feeds: tuple[str | None, ...] = ()

    def __init__(self, spec: LoadSpec) -> None:
        self.spec = spec
        self.demand: Demand = demand_for(spec)
        self.key = spec.key

    def initial_counters(self) -> tuple[float, ...]:
        """Counters at the start: the meter has been running for a while."""
        hours = self.spec.draw("age", 0.2, 2.0) * 8760.0
        typical = self.demand.scale * self._typical_rate()
        return (round(typical * hours, 1),) + (0.0,) * (len(self.counters) - 1)

    def _typical_rate(self) -> float:
        return 0.5

    def rates(self, t: float) -> tuple[float, ...]:
        """Per-hour increase of each counter at t."""
        return (self.demand.rate(t),)

    def gauges(self, t: float) -> dict[str, float]:
        return {self.rate_field: self.demand.rate(t)}


class VolumeMeter(Instrument):
    """Gas and water: volume and flow."""

    counters = ("volume_m3",)
    rate_field = "flow_m3h"
    feeds = ("flow_m3h",)

    def _typical_rate(self) -> float:
        return 0.03 if self.spec.residential else 0.4


class ThreePhase:
    """Splits a total power over three phases with a fixed imbalance and PF."""

    def __init__(self, spec: LoadSpec) -> None:
        self.keys = [key_of(spec.seed, spec.site, spec.meter, "phase", i) for i in range(3)]
        raw = [spec.draw(f"share{i}", 0.9, 1.1) for i in range(3)]
        self.shares = [r / sum(raw) for r in raw]
        self.pf_base = spec.draw("pf", 0.9, 0.97)
        self.key = spec.key

    def values(self, t: float, power_kw: float, load_fraction: float) -> dict[str, float]:
        pf = min(0.999, self.pf_base + 0.015 * smooth(self.key, t, 600.0))
        out: dict[str, float] = {}
        volts, amps = [], []
        wobble = [
            s * (1.0 + 0.03 * smooth(k, t + 7.0, 120.0))
            for s, k in zip(self.shares, self.keys, strict=True)
        ]
        shares = [w / sum(wobble) for w in wobble]  # so the phases add up to the total
        drop = 2.0 * min(1.0, max(0.0, load_fraction))
        for i, key in enumerate(self.keys, start=1):
            v = NOMINAL_V + 1.8 * smooth(key, t, 300.0) - drop
            p = power_kw * shares[i - 1]
            a = abs(p) * 1000.0 / (v * pf)
            out[f"voltage_l{i}_v"] = v
            out[f"current_l{i}_a"] = a
            out[f"power_l{i}_kw"] = p
            volts.append(v)
            amps.append(a)
        out["voltage_v"] = sum(volts) / 3.0
        out["current_a"] = sum(amps)
        out["power_kw"] = power_kw
        out["power_factor"] = pf
        out["frequency_hz"] = 60.0 + 0.02 * smooth(self.key, t, 60.0)
        return out


class ElectricityMeter(Instrument):
    counters = ("energy_kwh", "energy_export_kwh")
    rate_field = "power_kw"
    feeds = ("power_kw", None)

    def __init__(self, spec: LoadSpec) -> None:
        super().__init__(spec)
        self.phases = ThreePhase(spec)

    def _typical_rate(self) -> float:
        return HOUSEHOLD_TYPICAL if self.spec.residential else 0.5

    def rates(self, t: float) -> tuple[float, ...]:
        return (self.demand.rate(t), 0.0)

    def gauges(self, t: float) -> dict[str, float]:
        power = self.demand.rate(t)
        peak = self.demand.scale * (0.9 if self.spec.residential else 1.0)
        return self.phases.values(t, power, power / peak if peak else 0.0)


HOUSEHOLD_TYPICAL = 0.42


class SolarInverter(Instrument):
    counters = ("energy_kwh",)
    rate_field = "power_kw"
    feeds = ("power_kw",)

    def __init__(self, spec: LoadSpec) -> None:
        super().__init__(spec)
        self.phases = ThreePhase(spec)

    def _typical_rate(self) -> float:
        return 0.14  # ~1,230 kWh per kWp and year

    def rates(self, t: float) -> tuple[float, ...]:
        return (self.demand.rate(t),)

    def gauges(self, t: float) -> dict[str, float]:
        power = self.demand.rate(t)
        values = self.phases.values(t, power, 0.0)
        return {
            k: v
            for k, v in values.items()
            if k.startswith("voltage_l") or k in ("current_a", "power_kw", "frequency_hz")
        }


class HeatMeter(Instrument):
    """District heat: energy and water volume, flow from power and the temperature drop."""

    counters = ("energy_kwh", "volume_m3")
    rate_field = "power_kw"
    feeds = ("power_kw", "flow_m3h")

    def _typical_rate(self) -> float:
        return 0.9 if self.spec.residential else 0.4

    def initial_counters(self) -> tuple[float, ...]:
        energy = super().initial_counters()[0]
        return (energy, round(energy / (WATER_KWH_PER_M3K * 30.0), 3))

    def _temps(self, t: float) -> tuple[float, float]:
        outdoor = self.demand.outdoor(t)
        # weather-compensated supply: hotter when it is cold outside
        supply = 65.0 + 1.0 * min(25.0, max(0.0, 15.0 - outdoor))
        drop = 25.0 + 8.0 * min(1.0, max(0.0, (15.0 - outdoor) / 20.0))
        return supply, supply - drop

    def rates(self, t: float) -> tuple[float, ...]:
        g = self.gauges(t)
        return (g["power_kw"], g["flow_m3h"])

    def gauges(self, t: float) -> dict[str, float]:
        power = self.demand.rate(t)
        supply, ret = self._temps(t)
        flow = power / (WATER_KWH_PER_M3K * (supply - ret))
        return {
            "power_kw": power,
            "flow_m3h": flow,
            "supply_temp_c": supply,
            "return_temp_c": ret,
        }


INSTRUMENTS: dict[str, type[Instrument]] = {
    "electricity": ElectricityMeter,
    "gas": VolumeMeter,
    "water": VolumeMeter,
    "heat": HeatMeter,
    "solar": SolarInverter,
}


def instrument_for(spec: LoadSpec) -> Instrument:
    return INSTRUMENTS[spec.utility](spec)


def finite(values: dict[str, float]) -> bool:
    return all(math.isfinite(v) for v in values.values())
