"""Time-stepped integration: counters = integral of rates, on a fixed grid.

The grid is anchored at the simulation start and stepped in fixed
`step_s` (midpoint rule), so a counter at simulated time t is the same
whatever wall-clock ticks happened to advance it: a run is reproducible for a
seed and start, at any `--speed`.
"""

from __future__ import annotations

from simulators.model.instruments import Instrument, instrument_for
from simulators.model.spec import LoadSpec

DEFAULT_STEP_S = 60.0


class MeterState:
    """One meter's counters, advanced along simulated time."""

    def __init__(
        self, instrument: Instrument, start: float, step_s: float = DEFAULT_STEP_S
    ) -> None:
        self.instrument = instrument
        self.step_s = step_s
        self.grid_t = start
        self.counters = list(instrument.initial_counters())

    @classmethod
    def for_spec(cls, spec: LoadSpec, start: float, step_s: float = DEFAULT_STEP_S) -> MeterState:
        return cls(instrument_for(spec), start, step_s)

    def advance(self, t: float) -> None:
        """Integrate whole grid steps up to t."""
        step = self.step_s
        rates = self.instrument.rates
        while self.grid_t + step <= t:
            for i, rate in enumerate(rates(self.grid_t + step / 2.0)):
                self.counters[i] += rate * step / 3600.0
            self.grid_t += step

    def counters_at(self, t: float) -> dict[str, float]:
        self.advance(t)
        partial = max(0.0, t - self.grid_t)
        names = self.instrument.counters
        if partial == 0.0:
            return dict(zip(names, self.counters, strict=True))
        rates = self.instrument.rates(self.grid_t + partial / 2.0)
        return {
            name: value + rate * partial / 3600.0
            for name, value, rate in zip(names, self.counters, rates, strict=True)
        }

    def snapshot(self, t: float) -> dict[str, float]:
        """Every value the meter shows at t: gauges and counters.

        The part-step since the last grid point uses the rates shown at t (not
        at the part-step's midpoint): one model evaluation instead of two, a
        difference far below a meter's resolution.
        """
        self.advance(t)
        values = self.instrument.gauges(t)
        partial = max(0.0, t - self.grid_t) / 3600.0
        for name, value, feed in zip(
            self.instrument.counters, self.counters, self.instrument.feeds, strict=True
        ):
            values[name] = value + (values[feed] * partial if feed else 0.0)
        return values
