"""Poller logic with an in-memory bus (unit level: the Modbus side is faked here only).

The real-meter behaviour is tested against the simulators in test_agent_*.py.
"""

from __future__ import annotations

import asyncio
import math

import pytest

from edge_agent.bus import ReadError
from edge_agent.error_kinds import ErrorKind
from edge_agent.metrics import Metrics
from edge_agent.poller import MeterPoller, PollFailed, PollPolicy, _next_tick
from telemetry.codec import ByteOrder, RegisterType, encode
from telemetry.models import Quality
from telemetry.paths import config_dir
from telemetry.registry import load_profiles
from telemetry.registry.profiles import Table
from telemetry.registry.sites import Meter

PROFILES = load_profiles(config_dir() / "profiles")


class MemoryBus:
    """Answers from a register image; refuses requests that touch `holes` with exception 2."""

    def __init__(
        self, image: dict[int, int], holes: set[int] = frozenset(), fail: str | None = None
    ):
        self.image = image
        self.holes = holes
        self.fail = fail
        self.requests: list[tuple[int, int]] = []

    async def read(
        self, table: Table, start: int, count: int, unit: int, timeout_s: float
    ) -> list[int]:
        self.requests.append((start, count))
        if self.fail:
            raise ReadError(ErrorKind(self.fail), f"simulated {self.fail}")
        if self.holes & set(range(start, start + count)):
            raise ReadError(ErrorKind.ILLEGAL_ADDRESS, "exception 2", 2)
        return [self.image.get(a, 0) for a in range(start, start + count)]


def _meter(profile: str, utility: str) -> Meter:
    return Meter.model_validate(
        {
            "id": "m1",
            "utility": utility,
            "profile": profile,
            "connection": {"type": "tcp", "host": "x"},
        }
    )


def _sdm_image(values: dict[int, float]) -> dict[int, int]:
    image: dict[int, int] = {}
    for address, value in values.items():
        for i, reg in enumerate(encode(value, RegisterType.FLOAT32, ByteOrder.ABCD)):
            image[address + i] = reg
    return image


def _poller(
    bus, profile="eastron_sdm630", utility="electricity", **policy
) -> tuple[MeterPoller, list]:
    got: list = []
    poller = MeterPoller(
        _meter(profile, utility),
        PROFILES[profile],
        bus,
        got.append,
        Metrics(),
        PollPolicy(**policy),
    )
    return poller, got


def test_exception_2_splits_the_block_and_remembers_the_split() -> None:
    image = _sdm_image({0: 230.0, 72: 100.0, 52: 1500.0})
    bus = MemoryBus(image, holes={60, 61})  # a hole inside the second coalesced block
    poller, got = _poller(bus)
    reading = asyncio.run(poller.poll_once())
    assert reading is not None and reading.values["energy_kwh"] == 100.0
    assert reading.values["power_kw"] == pytest.approx(1.5)
    assert len(poller.plan) > 2  # the split is kept
    first_requests = len(bus.requests)
    bus.requests.clear()
    asyncio.run(poller.poll_once())
    # The next cycle starts from the split plan: no request covers the hole again...
    assert not any(s <= 60 < s + c for s, c in bus.requests)
    assert len(bus.requests) < first_requests
    assert len(got) == 2


def test_a_refused_single_value_is_skipped_and_the_rest_sent() -> None:
    image = _sdm_image({0: 230.0, 72: 100.0})
    bus = MemoryBus(image, holes={62})  # power_factor itself is refused
    poller, _ = _poller(bus)
    reading = asyncio.run(poller.poll_once())
    assert "power_factor" not in reading.values and reading.values["energy_kwh"] == 100.0
    assert any("power_factor" in p for p in poller.health.problems)


@pytest.mark.parametrize("kind", ["timeout", "connect", "garbage", "busy", "exception"])
def test_failed_reads_raise_pollfailed_and_retry_only_transient_kinds(kind: str) -> None:
    bus = MemoryBus({}, fail=kind)
    poller, got = _poller(bus, retries=2, retry_pause_s=0)
    with pytest.raises(PollFailed) as info:
        asyncio.run(poller.poll_once())
    assert info.value.kind == kind and got == []
    expected = 1 if kind == "exception" else 3
    assert len(bus.requests) == expected


def test_safe_poll_never_raises_and_marks_the_meter_failing() -> None:
    poller, _ = _poller(MemoryBus({}, fail="timeout"), retries=0)
    assert asyncio.run(poller.safe_poll()) is False
    assert poller.health.failing and "timeout" in poller.health.last_error
    assert poller.health.consecutive_failures == 1


def test_nan_registers_make_a_bad_reading_without_the_nan() -> None:
    image = _sdm_image({0: 230.0, 72: 100.0, 52: math.nan})
    poller, got = _poller(MemoryBus(image))
    assert asyncio.run(poller.safe_poll()) is True
    assert got[0].quality is Quality.BAD and "power_kw" not in got[0].values
    assert poller.health.failing


def test_backoff_doubles_and_is_capped() -> None:
    poller, _ = _poller(MemoryBus({}, fail="timeout"), retries=0, backoff_max_s=30)
    delays = []
    for _ in range(6):
        asyncio.run(poller.safe_poll())
        delays.append(poller._backoff())
    assert delays == [10, 20, 30, 30, 30, 30]


def test_next_tick_keeps_phase_and_skips_missed_ticks() -> None:
    assert _next_tick(100.0, 5.0, 101.0) == 105.0
    assert _next_tick(100.0, 5.0, 117.0) == 120.0
