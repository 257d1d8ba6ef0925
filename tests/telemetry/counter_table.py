"""The counter continuity cases of counter_cases/: one YAML file per case.

A case lists counter values one minute apart (`readings`, `null` for a
minute not received yet), optionally `late` readings (minute: value) that
arrive before a second pass, a `window` [first, end) of minutes whose
consumption is checked (the rest is context), a register `wrap`, and per pass
the expected consumption and events ("minute kind, ..."; pending ones too).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from telemetry.counters import Kind, Settled, max_rate_per_h, settle
from tests.support.golden import read_yaml

CASES = Path(__file__).parent / "counter_cases"
MINUTE_MS = 60_000


class Expect(BaseModel):
    model_config = ConfigDict(extra="forbid")
    consumption: float
    events: str = ""


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str
    readings: list[float | None]
    late: dict[int, float] = Field(default_factory=dict)
    window: tuple[int, int] | None = None
    wrap: float | None = None
    expect: list[Expect]

    def passes(self) -> list[list[tuple[int, float]]]:
        """The readings each pass sees, in time order (minutes as ms)."""
        first = {m: v for m, v in enumerate(self.readings) if v is not None}
        seen = [first] if not self.late else [first, {**first, **self.late}]
        return [sorted((m * MINUTE_MS, v) for m, v in p.items()) for p in seen]

    def in_window(self, ts: int) -> bool:
        lo, hi = self.window or (0, len(self.readings) + len(self.late))
        return lo * MINUTE_MS <= ts < hi * MINUTE_MS


def load(path: Path) -> Case:
    try:
        case = Case.model_validate(read_yaml(path))
    except Exception as exc:
        raise AssertionError(f"{path.name}: {exc}") from exc
    assert len(case.expect) == len(case.passes()), f"{path.name}: one expect per pass"
    return case


def events_text(verdicts: list[Settled]) -> str:
    return ", ".join(f"{s.ts // MINUTE_MS} {s.kind.value}" for s in verdicts if s.kind != Kind.OK)


RATE = max_rate_per_h("electricity", "energy_kwh")


def run(case: Case, readings: list[tuple[int, float]]) -> list[Settled]:
    """The verdicts of the readings inside the case's window."""
    return [s for s in settle(readings, RATE, case.wrap) if case.in_window(s.ts)]
