"""The platform's clock: wall time unless ENERGY_CLOCK_* shift and speed it up."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from telemetry.clock import ClockError, clock_from


def test_unset_is_the_wall_clock() -> None:
    before = time.time()
    assert before <= clock_from({}).now() <= time.time()


def test_start_anchor_and_speed() -> None:
    wall = time.time()
    anchor = datetime.fromtimestamp(wall - 10, UTC).isoformat()  # ten wall seconds ago
    clock = clock_from({"ENERGY_CLOCK_START": "2026-01-05T03:50:00+09:00",
                        "ENERGY_CLOCK_SPEED": "60", "ENERGY_CLOCK_ANCHOR": anchor})  # fmt: skip
    start = datetime(2026, 1, 4, 18, 50, tzinfo=UTC).timestamp()
    assert (clock.start, clock.speed) == (start, 60.0)
    assert clock.anchor == pytest.approx(wall - 10, abs=1e-5)  # via ISO text
    # Ten wall seconds at 60×: ten minutes (and a little for the time this test takes).
    assert start + 600 <= clock.now() <= start + 60 * (time.time() - wall + 10)


def test_two_processes_with_the_same_values_agree() -> None:
    env = {"ENERGY_CLOCK_START": "2026-01-05T03:50:00Z", "ENERGY_CLOCK_SPEED": "3600",
           "ENERGY_CLOCK_ANCHOR": "2026-11-30T00:00:00Z"}  # fmt: skip
    a, b = clock_from(env), clock_from(env)
    assert a == b


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ENERGY_CLOCK_START": "yesterday"}, "ENERGY_CLOCK_START='yesterday': not ISO 8601"),
        ({"ENERGY_CLOCK_START": "2026-01-05T03:50:00"}, "give the offset"),
        ({"ENERGY_CLOCK_START": "2026-01-05T03:50Z", "ENERGY_CLOCK_SPEED": "fast"},
         "ENERGY_CLOCK_SPEED='fast': not a number"),
        ({"ENERGY_CLOCK_START": "2026-01-05T03:50Z", "ENERGY_CLOCK_SPEED": "0"}, "must be in"),
        ({"ENERGY_CLOCK_START": "2026-01-05T03:50Z", "ENERGY_CLOCK_ANCHOR": "x"},
         "ENERGY_CLOCK_ANCHOR='x': not ISO 8601"),
        ({"ENERGY_CLOCK_SPEED": "60"}, "ENERGY_CLOCK_SPEED is set without ENERGY_CLOCK_START"),
    ],
)  # fmt: skip
def test_a_wrong_variable_is_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(ClockError, match=message.replace("(", r"\(")):
        clock_from(env)
