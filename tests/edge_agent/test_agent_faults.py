"""Broken meters (silent, garbage, exceptions) next to sound ones, against the simulators.

The sound meters' schedule is measured from the readings' own timestamps:
every step between consecutive reads of a meter stays within 10% of its
poll interval. The broken meters show up in the retained status and in the
metrics, and the logs name them.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from devstack import shifted_config
from telemetry.models import Quality
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

SITE, AGENT = "ea-faults", "ea-faults-gw"
GOOD = ("good-elec", "good-gas", "good-pv")
BAD = {
    "silent-water": "timeout",
    "garbage-elec": "garbage",  # float registers: NaN and inf only, nothing left to send
    "garbage-gas": "garbage",  # integer registers: extremes, out of the plausible range
    "refusing-heat": "illegal-address",
}
INTERVAL = 2.0
STEPS = 8  # consecutive reads measured per sound meter


def _steps(readings, meter: str) -> list[float]:
    ts = sorted(r.ts.timestamp() for r in readings if r.meter == meter)
    return [b - a for a, b in itertools.pairwise(ts)]


def test_bad_meters_are_reported_and_the_others_keep_their_schedule(
    tmp_path: Path, broker, procs
) -> None:
    config = shifted_config(CONFIGS / "faults.yaml", tmp_path / "sites.yaml")
    faults = [a for meter, kind in BAD.items() for a in ("--fault", f"{SITE}/{meter}={kind}")]
    sub = Subscriber(broker.host, broker.port, SITE, AGENT)
    try:
        procs.append(start_simulators(config, tmp_path / "sim.log", *faults))
        agent, port = start_watched_agent(config, AGENT, broker.url, tmp_path)
        procs.append(agent)

        def enough() -> bool:
            readings = sub.readings()
            return all(len(_steps(readings, m)) >= STEPS for m in GOOD)

        assert true_within(enough, 60), dump(*procs)
        readings = sub.readings()
        for meter in GOOD:
            steps = _steps(readings, meter)[:STEPS]
            jitter = max(abs(s - INTERVAL) for s in steps)
            print(
                f"{meter}: steps {[round(s, 3) for s in steps]}, max jitter {jitter * 1000:.0f} ms"
            )
            assert jitter <= 0.1 * INTERVAL, f"{meter}: steps {steps}"
            assert all(r.quality is Quality.GOOD for r in readings if r.meter == meter)

        # Integer garbage arrives marked bad; float garbage (NaN, inf) is never sent.
        garbage = [r for r in readings if r.meter == "garbage-gas"]
        assert garbage and all(r.quality is Quality.BAD for r in garbage)
        assert not [
            r for r in readings if r.meter in ("silent-water", "refusing-heat", "garbage-elec")
        ]

        def status_names_the_bad_ones() -> bool:
            status = sub.last_status()
            return status is not None and set(status.meters_failing) == set(BAD)

        assert true_within(status_names_the_bad_ones, 15), sub.last_status()
        status = sub.last_status()
        assert status.last_error and any(m in status.last_error for m in BAD)

        text = metrics_text(port)
        assert (
            metric_value(text, "edge_poll_errors_total", meter="silent-water", kind="timeout") >= 1
        )
        assert (
            metric_value(
                text, "edge_poll_errors_total", meter="refusing-heat", kind="illegal_address"
            )
            >= 1
        )
        assert (
            metric_value(text, "edge_poll_errors_total", meter="garbage-elec", kind="nonfinite")
            >= 1
        )
        assert (
            metric_value(text, "edge_poll_errors_total", meter="garbage-gas", kind="out_of_range")
            >= 1
        )
        assert metric_value(text, "edge_readings_total", meter="garbage-gas", quality="bad") >= 1
        for meter in BAD:
            assert metric_value(text, "edge_meter_failing", meter=meter) == 1.0
        for meter in GOOD:
            assert metric_value(text, "edge_meter_failing", meter=meter) == 0.0
            assert metric_value(text, "edge_poll_errors_total", meter=meter) is None
        log = agent.text()
        for meter in BAD:
            assert f'"meter": "{meter}"' in log
    finally:
        sub.close()
