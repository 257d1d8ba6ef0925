"""Faulty meters through the whole demo pipeline: no fake consumption.

Simulators (with a fault control file) → edge agents → Mosquitto → collector
→ InfluxDB, then `python -m collector rollup --once`. The solar inverter
answers garbage for a while (the agent marks those readings bad: other
fields fall outside their plausible range), then carries on; an electricity
meter of the same site is replaced (its counter starts again from 0). Each
meter's consumption must be its counter's real advance, the replacement one
reset.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack import InfluxServer, MosquittoServer
from devstack.platform import Platform
from devstack.ports import shifted_config
from devstack.supervisor import Child, python_module
from simulators.control import write_faults
from telemetry.influx_schema import rollup_from
from telemetry.influxql import InfluxQL
from telemetry.paths import PROJECT_ROOT
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

DEMO = PROJECT_ROOT / "config" / "sites" / "demo.yaml"
SITE, METER, REPLACED = "hanam-ic", "pv-roof", "b3-elec"


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[MosquittoServer]:
    server = MosquittoServer(tmp_path / "mosquitto").start()
    yield server
    server.stop()


def _readings(ql: InfluxQL, raw: str, meter: str = METER) -> list[dict]:
    utility = "solar" if meter == METER else "electricity"
    return ql.rows(
        f"SELECT energy_kwh, quality FROM {utility} WHERE site = '{SITE}' AND meter = '{meter}'",
        raw,
        epoch="ms",
    )


def _hours(ql: InfluxQL, raw: str, meter: str) -> list[dict]:
    return ql.rows(
        f"SELECT consumption, resets, glitches, spikes FROM {rollup_from('meter_consumption_1h')} "
        f"WHERE site = '{SITE}' AND meter = '{meter}'",
        raw,
    )


def _wait_more(ql: InfluxQL, raw: str, n: int, platform: Platform, timeout: float = 60) -> None:
    target = len(_readings(ql, raw)) + n
    wait_until(
        lambda: len(_readings(ql, raw)) >= target,
        timeout,
        f"{n} more readings of {METER}",
        interval=0.5,
        logs=lambda: "\n".join(f"[{c.name}]\n{c.log_tail()}" for c in platform.children),
        give_up=lambda: [f"{c.name} exited" for c in platform.children if not c.running],
    )


def _after_drop(ql: InfluxQL, raw: str) -> int:
    """How many readings of the replaced meter follow its counter's drop (0: no drop yet)."""
    values = [r["energy_kwh"] for r in _readings(ql, raw, REPLACED)]
    drops = [i for i in range(1, len(values)) if values[i] < values[i - 1]]
    return len(values) - drops[0] if drops else 0


def _wait_after_drop(ql: InfluxQL, raw: str, n: int, platform: Platform) -> None:
    """Until `n` readings of the replaced meter follow its drop: the rollup counts the new
    counter once K readings are in line after it, and the simulators take up a fault at
    their next look at the control file (later on a loaded machine), so a count of the
    other meter's readings does not say how many the replaced one has."""
    wait_until(
        lambda: _after_drop(ql, raw) >= n,
        90,
        f"{n} readings of {REPLACED} after its reset",
        interval=0.5,
        logs=lambda: "\n".join(f"[{c.name}]\n{c.log_tail()}" for c in platform.children),
        give_up=lambda: [f"{c.name} exited" for c in platform.children if not c.running],
    )


def test_garbage_fault_makes_no_fake_consumption(
    tmp_path: Path, broker: MosquittoServer, influx: InfluxServer
) -> None:
    tag = uuid.uuid4().hex[:8]
    raw, public = f"garbage_raw_{tag}", f"garbage_pub_{tag}"
    influx.create_database(raw)
    influx.create_database(public)
    config = shifted_config(DEMO, tmp_path / "sites.yaml")
    control = tmp_path / "faults.json"
    write_faults(control, {})
    platform = Platform(tmp_path, config, broker.url, influx.url, raw, public, speed=60)
    ql = InfluxQL(influx.url)
    try:
        argv = python_module(
            "simulators", "serve", "--config", str(config), "--speed", "60",
            "--control", str(control),
        )  # fmt: skip
        sims = Child("simulators", argv, tmp_path / "logs" / "simulators.log")
        sims.start(platform.env)
        platform.children.append(sims)
        sims.wait_for_line("READY", 60)
        platform.start_agents()
        platform.start_collector()
        _wait_more(ql, raw, 3, platform)
        write_faults(control, {f"{SITE}/{METER}": "garbage"})
        _wait_more(ql, raw, 4, platform)
        write_faults(control, {})
        _wait_more(ql, raw, 4, platform)
        write_faults(control, {f"{SITE}/{REPLACED}": "reset"})
        _wait_after_drop(ql, raw, 8, platform)
    finally:
        # Sources first, so every reading is stored before the rollup reads them: a
        # reading stored while the pass ran (slower on a loaded machine) was in the
        # expected figures below and not in the rollup's, one reading short.
        platform.stop()
    done = platform.rollup_once()
    assert done.returncode == 0, done.stdout + done.stderr
    garbage, replaced = _readings(ql, raw), _readings(ql, raw, REPLACED)
    garbage_hours, replaced_hours = _hours(ql, raw, METER), _hours(ql, raw, REPLACED)
    ql.close()

    # Garbage: the first and the last readings are real (before and after the fault).
    advance = garbage[-1]["energy_kwh"] - garbage[0]["energy_kwh"]
    assert any(r["quality"] == "bad" for r in garbage), garbage
    assert sum(h["consumption"] for h in garbage_hours) == pytest.approx(advance, abs=1e-6)
    assert sum(h["resets"] for h in garbage_hours) == 0, garbage_hours

    # Replaced: the old counter's advance, then the new one's from 0; the agent marked
    # the drop and the readings until the reset was confirmed uncertain.
    values = [r["energy_kwh"] for r in replaced]
    drop = next(i for i in range(1, len(values)) if values[i] < values[i - 1])
    truth = values[drop - 1] - values[0] + values[-1]
    assert sum(h["consumption"] for h in replaced_hours) == pytest.approx(truth, abs=1e-6)
    assert sum(h["resets"] for h in replaced_hours) == 1, replaced_hours
    assert sum(h["glitches"] + h["spikes"] for h in replaced_hours) == 0, replaced_hours
    assert [r["quality"] for r in replaced[drop : drop + 3]] == ["uncertain"] * 3, replaced
