"""A night and an hour on the real platform, on an accelerated clock.

The simulators (`--start`, `--speed`), the edge agent and `alerts` share one
clock (telemetry.clock: ENERGY_CLOCK_START/SPEED/ANCHOR) that starts at 03:50
KST on a past day and runs 60 times as fast as the wall clock, so the night
02:00–05:00 KST ends about a minute after the start. The water meter leaks
40 m³/h (the simulators' `leak` fault) from the start:

- the leak rule (its default night) raises one leak alert once the night is over;
- the spike rule judges 04:00–05:00 against the same hour of the four weeks
  before, written as the rollup would have written it: what the simulators'
  model says the meter counted then. The real rollup computes the live hour
  from the readings, the leak makes it a spike, and the many passes that judge
  that hour raise one alert, one event and one delivery.
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from alerts.observers import KST
from alerts.store import all_alerts
from simulators.model.spec import LoadSpec
from simulators.model.state import MeterState
from telemetry import influx_schema as s
from telemetry.lineproto import line
from telemetry.registry import load_registry
from tests.alerts.platform import (
    SECRET,
    SITE,
    Running,
    Setup,
    in_state,
    stop_alerts,
    webhook_delivery,
)
from tests.alerts.receivers import WebhookLog, WebhookReceiver
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]
METER, LEAK_M3H, SPEED = "water-main", 40.0, 60.0
WEEK = timedelta(days=7)


def _night_start(wall: datetime) -> datetime:
    """03:50 KST of the latest day that keeps the whole run at least 6 h in the past:
    the collector refuses readings from the future."""
    day = wall.astimezone(KST).replace(hour=3, minute=50, second=0, microsecond=0)
    while day > wall - timedelta(hours=6):
        day -= timedelta(days=1)
    return day


SETUP = Setup(faults=("--fault", f"{SITE}/{METER}=leak:{LEAK_M3H:g}"), rollup=True, speed=SPEED,
              clock_start=_night_start)  # fmt: skip


def _rules(url: str) -> dict:
    scope = {"site": SITE, "meter": METER}
    return {
        "rules": [
            {"id": "leak", "kind": "leak", "severity": "major", "utility": "water",
             "above": LEAK_M3H / 2, "nodata": "keep_state", "scope": scope},
            {"id": "spike", "kind": "spike", "severity": "minor", "utility": "water",
             "k": 3, "weeks": 4, "min_weeks": 3, "min_excess": 10, "keep_firing": "1d",
             "nodata": "keep_state", "scope": scope},
        ],
        **webhook_delivery(url),
    }  # fmt: skip


def _model_hour(run: Running, hour: datetime) -> float:
    """What the simulators' model (seed 1) says the water meter counted in this hour."""
    site = load_registry(run.platform.config).sites[SITE]
    same = sum(1 for a in site.agents for m in a.meters if m.utility == "water")
    spec = LoadSpec(seed=1, site=SITE, meter=METER, utility="water",
                    building_type=site.building_type.value, households=site.households / same)  # fmt: skip
    state = MeterState.for_spec(spec, hour.timestamp())
    start = state.counters_at(hour.timestamp())["volume_m3"]
    return state.counters_at(hour.timestamp() + 3600)["volume_m3"] - start


def _write_history(run: Running, hour: datetime) -> list[float]:
    """The same hour of the four weeks before, as the rollup writes meter_consumption_1h."""
    site = load_registry(run.platform.config).sites[SITE]
    tags = {s.TAG_SITE: SITE, s.TAG_METER: METER, s.TAG_UTILITY: "water",
            s.TAG_DISTRICT: site.district, s.TAG_DONG: site.dong,
            s.TAG_BUILDING_TYPE: site.building_type.value}  # fmt: skip
    values, lines = [], []
    for week in range(1, 5):
        then = hour - week * WEEK
        values.append(_model_hour(run, then))
        fields = {"consumption": values[-1], "resets": 0, "glitches": 0, "spikes": 0, "pending": 0}
        lines.append(line(s.METER_CONSUMPTION_1H, tags, fields, _ms(then)))
    done = httpx.post(f"{run.platform.influx_url}/write", params={"db": run.db, "rp": s.ROLLUP_RP, "precision": "ms"},
                      content="\n".join(lines))  # fmt: skip
    assert done.status_code == 204, done.text
    return values


def _ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


@pytest.mark.parametrize("running", [SETUP], indirect=True)
def test_overnight_leak_and_a_spike_that_fires_once(running: Running) -> None:
    start = datetime.fromisoformat(running.env["ENERGY_CLOCK_START"])
    hour = start + timedelta(minutes=10)  # 04:00-05:00 KST: the hour the spike rule judges
    history = _write_history(running, hour)
    assert max(history) + 10 < 40  # normal use stays under the limit; the leak alone crosses it
    log = WebhookLog(SECRET)
    with WebhookReceiver(log) as hook:
        proc, engine = running.start_alerts(_rules(hook.url))
        try:
            running.wait_alerts(engine, "leak", "active_unacked", 1, 240, "the leak alert")
            running.wait_alerts(engine, "spike", "active_unacked", 1, 240, "the spike alert")
            time.sleep(15)  # fifteen more passes judge the same hour
            wait_until(lambda: len(log.accepted) == 2, 60, "two deliveries", logs=running.logs)
            (leak,) = in_state(engine, "leak", "active_unacked")
            (spike,) = in_state(engine, "spike", "active_unacked")
            alerts = all_alerts(engine)
        finally:
            stop_alerts(proc, engine)
    night_end = hour + timedelta(hours=1)  # 05:00 KST
    assert sorted(a.id for a in alerts) == sorted([leak.id, spike.id])  # nothing else
    assert leak.originator == spike.originator == f"meter:{SITE}/{METER}"
    assert leak.fired_at is not None and leak.fired_at >= night_end
    assert leak.last_value is not None and leak.last_value >= LEAK_M3H  # the night's minimum
    # Judged only after the hour settled; the leak's 40 m³ on top of the normal hour.
    assert spike.fired_at is not None and spike.fired_at >= night_end + timedelta(minutes=10)
    assert spike.last_value is not None and spike.last_value > statistics.median(history) + 10
    q = (f'SELECT "consumption" FROM {s.rollup_from(s.METER_CONSUMPTION_1H)} WHERE time = {_ms(hour)}ms '
         f"AND \"meter\" = '{METER}'")  # fmt: skip
    (computed,) = running.ql.rows(q, running.db)
    assert spike.last_value == computed["consumption"]  # the real rollup's figure for the hour
    assert running.alert_event_counts() == {"firing": 2}
    assert log.bad_signatures == 0
    assert sorted((p["rule"], p["event"]) for p in log.accepted.values()) == [
        ("leak", "firing"), ("spike", "firing")]  # fmt: skip
    assert leak.fired_at.astimezone(UTC) < datetime.now(UTC)  # the run stayed in the past
