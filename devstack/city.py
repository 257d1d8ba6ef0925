"""The city demo (`python -m devstack.demo --city`): a simulated city beside the phase-1 sites.

The fleet generator (`python -m simulators fleet-plan`) plans sites over the five
districts by households, with a floor of sites in each of the 96 dongs; its sites
join the phase-1 sites in one registry for the collector, rollups and API. A fast
fleet then publishes the past days (simulated time ending now, coarse reads and
integration steps so it fits in minutes on two cores), and a real-time fleet goes
on from there: its counters continue where the past stopped, so the rollups see no
reset. Set-up ends when the portal's map has a figure or a withholding reason for
every dong and the city page a figure for every district, read over HTTP as a
visitor would (this module imports no project package).
"""

from __future__ import annotations

import html
import re
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from devstack.errors import DevstackError
from devstack.supervisor import PROJECT_ROOT, Child, python_module

DAY_S = 86_400.0
# Readings per second the past is offered at: the collectors store 10,000+ on this
# box, the rollup takes fewer; the rest of the box stays usable (bench/README.md).
HISTORY_RATE = 5_000.0
SHARED_CONNECTIONS = 50  # the fleet's agents share these MQTT connections
SETUP_TIMEOUT_S = 900.0
# A rollup pass re-decides the groups of every period its new readings touch (the current
# hour, day and month of the whole city, each minute): every 30 s, not the phase-1 demo's 5.
ROLLUP_INTERVAL_S = 30.0
LIVE_CATCHUP_S = 3_600.0  # late readings get live minutes within the last hour only


@dataclass(frozen=True)
class City:
    """The simulated city's size and how its past and present are read."""

    meters: int = 6_000
    meters_per_site: int = 5  # with five meters a site, an apartment complex has all utilities
    per_dong: int = 6  # above k = 5: a dong is withheld for its mix, not for being thin
    # The rollup takes ~1,000 readings per second of pass time on this box (bench/README.md)
    # and shares it: the past is read once a day per meter (days and months, not hours);
    # the present every minute, as live_1m sums the meters that report in each minute.
    history_days: float = 7.0
    history_read_s: float = DAY_S
    history_step_s: float = 3600.0  # counters integrated in hours over the past
    live_read_s: float = 60.0
    seed: int = 1

    @property
    def sites(self) -> int:
        return max(self.per_dong * 96, self.meters // self.meters_per_site)

    @property
    def history_readings(self) -> float:
        return self.sites * self.meters_per_site * self.history_days * DAY_S / self.history_read_s

    def plan_flags(self) -> list[str]:
        """What fixes the plan: `fleet-plan` and both fleets take the same."""
        return [
            f"--agents={self.sites}",
            f"--meters-per-agent={self.meters_per_site}",
            f"--seed={self.seed}",
            f"--per-dong={self.per_dong}",
        ]


def write_registry(city: City, demo_sites: Path, workdir: Path) -> Path:
    """The phase-1 sites file with the fleet's sites after them: the city demo's registry."""
    target = workdir / "city-sites.yaml"
    argv = ["fleet-plan", *city.plan_flags(), "--base", str(demo_sites)]
    done = subprocess.run(
        python_module("simulators", *argv, "--write-config", str(target)),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=PROJECT_ROOT,
        check=False,
    )
    if done.returncode != 0:
        raise DevstackError(f"simulators fleet-plan failed:\n{done.stdout}{done.stderr}")
    return target


def rollup_env(city: City) -> dict[str, str]:
    """The rollup takes arrival markers up to a week old by default: the whole past here;
    live minutes only for the last hour."""
    # Live minutes for the present only: the past's a week of minutes would hold the
    # present's back for minutes (docs/DECISIONS.md "The city demo").
    return {
        "ENERGY_MAX_CATCHUP_S": f"{(city.history_days + 1) * DAY_S:.0f}",
        "ENERGY_LIVE_CATCHUP_S": f"{LIVE_CATCHUP_S:.0f}",
    }


def history_flags(city: City, now: float) -> list[str]:
    """The past `history_days` up to now, at most HISTORY_RATE readings/s."""
    return [
        *city.plan_flags(),
        f"--interval={city.history_read_s:g}",
        f"--start={history_start(city, now)}",
        f"--backfill-to={datetime.fromtimestamp(now, UTC).isoformat()}",
        f"--rate-limit={HISTORY_RATE:g}",
        f"--step={city.history_step_s:g}",
        f"--connections={SHARED_CONNECTIONS}",
    ]


def live_flags(city: City, began: str) -> list[str]:
    """Real time from now on, counters going on from the past's (`began`: its start)."""
    return [
        *city.plan_flags(),
        f"--interval={city.live_read_s:g}",
        f"--counters-from={began}",
        f"--step={city.history_step_s:g}",
        f"--connections={SHARED_CONNECTIONS}",
    ]


def history_start(city: City, now: float) -> str:
    return datetime.fromtimestamp(now - city.history_days * DAY_S, UTC).isoformat()


def wait_for_exit(child: Child, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while child.running:
        if time.monotonic() > deadline:
            raise DevstackError(f"{child.name} still publishing after {timeout:.0f} s")
        time.sleep(1.0)
    if child.returncode != 0:
        raise DevstackError(f"{child.name} exited with {child.returncode}:\n{child.log_tail()}")


@dataclass(frozen=True)
class Filled:
    """What the portal shows: dongs by status, districts with a figure."""

    statuses: dict[str, str]  # dong code -> ok / suppressed / no_data
    coloured: int  # ok with a value per household
    districts_with_figures: int
    districts: int

    @property
    def done(self) -> bool:
        blank = [c for c, s in self.statuses.items() if s not in ("ok", "suppressed")]
        return (
            len(self.statuses) == 96
            and not blank
            and self.coloured + self.withheld == 96
            and self.districts_with_figures == self.districts == 5
        )

    @property
    def withheld(self) -> int:
        return sum(s == "suppressed" for s in self.statuses.values())

    def line(self) -> str:
        return (
            f"{self.coloured} dongs coloured, {self.withheld} withheld (hatched, labelled), "
            f"{96 - self.coloured - self.withheld} without a figure; "
            f"{self.districts_with_figures} of {self.districts} districts with figures"
        )


_ROW = re.compile(r'<tr data-dong="(\d+)"[^>]*data-status="([^"]*)"[^>]*data-value="([^"]*)"')
_DISTRICT_ROW = re.compile(r'<tr>\s*<th scope="row"><a href="[^"]*/districts/\d+.*?</tr>', re.S)
_FIGURE = re.compile(r'data-fig="\d+\.\w+\.rate">([^<]*)<')


def portal_filled(base: str) -> Filled | None:
    """The map page's dongs and the city page's district rows, as served (None: no answer)."""
    try:
        map_page = httpx.get(f"{base}/map", timeout=30).text
        city_page = httpx.get(f"{base}/", timeout=30).text
    except httpx.HTTPError:
        return None
    rows = _ROW.findall(map_page)
    statuses = {code: status for code, status, _value in rows}
    coloured = sum(status == "ok" and value != "" for _code, status, value in rows)
    district_rows = _DISTRICT_ROW.findall(city_page)
    with_figures = sum(
        any(re.search(r"\d", html.unescape(v)) for v in _FIGURE.findall(r)) for r in district_rows
    )
    return Filled(statuses, coloured, with_figures, len(district_rows))


def wait_until_filled(base: str, children: list[Child], timeout: float) -> Filled | None:
    """Poll the portal until every dong and district shows something; the last look."""
    deadline = time.monotonic() + timeout
    seen = portal_filled(base)
    while not (seen and seen.done) and time.monotonic() < deadline:
        if any(not c.running and not c.reported for c in children):
            break  # the demo reports it; the city will not fill
        time.sleep(5.0)
        seen = portal_filled(base)
    return seen
