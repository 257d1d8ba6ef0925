"""End to end against the simulators and a real Mosquitto: readings, status, metrics."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack import shifted_config
from telemetry.fields import FIELDS, is_plausible
from telemetry.models import Quality
from telemetry.registry import load_registry
from tests.edge_agent.procs import (
    CONFIGS,
    Subscriber,
    dump,
    metric_value,
    metrics_text,
    start_simulators,
    start_watched_agent,
)
from tests.support.waiting import true_within

pytestmark = pytest.mark.timeout(90)


def test_every_meter_arrives_with_canonical_plausible_values(tmp_path: Path, broker, procs) -> None:
    config = shifted_config(CONFIGS / "all_profiles.yaml", tmp_path / "sites.yaml")
    registry = load_registry(config)
    meters = {m.id: m for m in registry.meters_of("ea-gw")}
    sub = Subscriber(broker.host, broker.port, "ea-test", "ea-gw")
    try:
        procs.append(start_simulators(config, tmp_path / "sim.log"))
        agent, port = start_watched_agent(config, "ea-gw", broker.url, tmp_path)
        procs.append(agent)

        def every_meter_twice() -> bool:
            seen = [r.meter for r in sub.readings()]
            return all(seen.count(m) >= 2 for m in meters)

        assert true_within(every_meter_twice, 30), dump(*procs)
        readings = sub.readings()
        for meter_id, meter in meters.items():
            mine = [r for r in readings if r.meter == meter_id]
            profile_fields = {f.field for f in registry.profile_of(meter).fields}
            for reading in mine:
                assert reading.utility == meter.utility
                assert reading.quality is Quality.GOOD, (meter_id, reading)
                assert set(reading.values) <= set(FIELDS[meter.utility])
                # Every field of the profile is there (the simulators implement them all).
                assert set(reading.values) == profile_fields, meter_id
                for name, value in reading.values.items():
                    assert is_plausible(meter.utility, name, value), (meter_id, name, value)
        # Batches: one per cycle, seq +1 each, site and agent as configured.
        seqs = sub.seqs()
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
        assert seqs[0] == 0

        assert true_within(
            lambda: sub.last_status() is not None and sub.last_status().meters == 5, 10
        )
        status = sub.last_status()
        assert status.state.value == "online" and status.meters_failing == []
        assert status.version and status.dropped_batches == 0

        text = metrics_text(port)
        assert metric_value(text, "edge_polls_total", meter="elec-1", outcome="ok") >= 2
        assert metric_value(text, "edge_modbus_requests_total", meter="pv-1") >= 2
        assert metric_value(text, "edge_batches_acked_total") >= 2
        assert agent.stop() == 0
        # A clean stop leaves the retained status saying offline.
        assert true_within(lambda: sub.last_status().state.value == "offline", 10), dump(agent)
    finally:
        sub.close()


def test_a_counter_reset_is_marked_uncertain_and_reported(tmp_path: Path, broker, procs) -> None:
    from simulators.control import write_faults

    config = shifted_config(CONFIGS / "all_profiles.yaml", tmp_path / "sites.yaml")
    control = tmp_path / "faults.json"
    sub = Subscriber(broker.host, broker.port, "ea-test", "ea-gw")
    try:
        procs.append(
            start_simulators(
                config,
                tmp_path / "sim.log",
                "--control",
                str(control),
            )
        )
        agent, port = start_watched_agent(config, "ea-gw", broker.url, tmp_path)
        procs.append(agent)

        def water() -> list:
            return [r for r in sub.readings() if r.meter == "water-1"]

        assert true_within(lambda: len(water()) >= 2, 20), dump(*procs)
        write_faults(
            control, {"ea-test/water-1": "reset"}
        )  # the meter is replaced: counters from 0
        assert true_within(lambda: any(r.quality is Quality.UNCERTAIN for r in water()), 20), dump(
            *procs
        )
        assert true_within(lambda: water()[-1].quality is Quality.GOOD and len(water()) >= 7, 30)

        # The drop and the readings after it are uncertain until K = 3 of them
        # continue from the new level and the counter moved (telemetry.counters).
        readings = water()
        flagged = [i for i, r in enumerate(readings) if r.quality is Quality.UNCERTAIN]
        i, n = flagged[0], len(flagged)
        assert n >= 3 and flagged == list(range(i, i + n)), [r.quality for r in readings]
        assert readings[i].values["volume_m3"] < readings[i - 1].values["volume_m3"]
        assert all(r.quality is Quality.GOOD for r in readings[:i] + readings[i + n :])
        text = metrics_text(port)
        assert (
            metric_value(text, "edge_poll_errors_total", meter="water-1", kind="counter_reset") == 1
        )
        assert true_within(lambda: "counter went back" in (sub.last_status().last_error or ""), 10)
    finally:
        sub.close()


def test_a_meter_that_stops_answering_recovers_when_it_answers_again(
    tmp_path: Path, broker, procs
) -> None:
    """Timeouts close the socket and back off; once the meter answers, readings resume."""
    from simulators.control import write_faults

    config = shifted_config(CONFIGS / "all_profiles.yaml", tmp_path / "sites.yaml")
    control = tmp_path / "faults.json"
    sub = Subscriber(broker.host, broker.port, "ea-test", "ea-gw")
    try:
        procs.append(start_simulators(config, tmp_path / "sim.log", "--control", str(control)))
        agent, port = start_watched_agent(config, "ea-gw", broker.url, tmp_path)
        procs.append(agent)

        def count(meter: str) -> int:
            return sum(r.meter == meter for r in sub.readings())

        assert true_within(lambda: count("pv-1") >= 2, 20), dump(*procs)
        write_faults(control, {"ea-test/pv-1": "timeout"})

        def failing() -> bool:
            status = sub.last_status()
            return status is not None and status.meters_failing == ["pv-1"]

        assert true_within(failing, 20), dump(*procs)
        timeouts = metric_value(
            metrics_text(port), "edge_poll_errors_total", meter="pv-1", kind="timeout"
        )
        assert timeouts and timeouts >= 1
        before = count("pv-1")
        write_faults(control, {})
        assert true_within(lambda: count("pv-1") >= before + 2, 30), dump(*procs)
        assert true_within(lambda: sub.last_status().meters_failing == [], 10)
        # The other meters never stopped meanwhile.
        assert count("elec-1") >= count("pv-1")
    finally:
        sub.close()
