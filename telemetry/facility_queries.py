"""InfluxQL for one site's live figures: one builder for the Grafana facility board
(`dashboards/boards/facility.py`) and the portal's facility pages (`api/web/facility_pages.py`,
through `stores/facility_live.py`), so a facility manager sees the same number in both.

`dashboards/` and `api/` never import each other (.importlinter), so the queries live in
the shared layer. Each builder takes a `Scope`: InfluxQL conditions on the site, the meters
and time. The board fills them with its Grafana variables (`"site" =~ /^$site$/`,
`$timeFilter`); the pages with one site's exact tag and a window in milliseconds
(`Scope.exact`). Everything else in the statement is the same text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from telemetry.fields import Utility
from telemetry.influx_schema import (
    AGENT_STATUS,
    METER_CONSUMPTION_1H,
    TAG_METER,
    TAG_SITE,
    rollup_from,
)
from telemetry.influxql import quote_ident, tag_eq, time_window

# The cumulative counter of each measurement: what "last reading" and "used today" read.
COUNTERS: dict[str, str] = {
    Utility.ELECTRICITY.value: "energy_kwh",
    Utility.HEAT.value: "energy_kwh",
    Utility.SOLAR.value: "energy_kwh",
    Utility.GAS.value: "volume_m3",
    Utility.WATER.value: "volume_m3",
}
# The agent status fields the board's table and the operators' page show.
AGENT_FIELDS = ("state", "meters", "meters_failing", "failing", "outbox_depth", "last_error")


@dataclass(frozen=True)
class Scope:
    """Where a query looks: InfluxQL conditions on the site, the meters (None: every meter of
    the site) and time."""

    site: str
    time: str
    meter: str | None = None

    @classmethod
    def exact(cls, site: str, start_ms: int, end_ms: int, meter: str | None = None) -> Scope:
        """One site (and meter), the half-open window [start, end) in epoch ms."""
        return cls(
            tag_eq(TAG_SITE, site),
            time_window(start_ms, end_ms),
            tag_eq(TAG_METER, meter) if meter is not None else None,
        )

    def where(self) -> str:
        parts = [self.site, *([self.meter] if self.meter else []), self.time]
        return " AND ".join(parts)


def measurements(names: Iterable[str]) -> str:
    return ", ".join(quote_ident(n) for n in names)


def last_counter(counter: str, names: Iterable[str], scope: Scope) -> str:
    """Each meter's latest counter value (and its time) in the scope."""
    return (
        f'SELECT last({quote_ident(counter)}) AS "last" FROM {measurements(names)} '
        f'WHERE {scope.where()} GROUP BY "meter"'
    )


def latest_reading(names: Iterable[str], scope: Scope) -> str:
    """Each meter's latest reading, every field and its quality, in the scope."""
    return (
        f"SELECT * FROM {measurements(names)} WHERE {scope.where()} "
        'GROUP BY "meter" ORDER BY time DESC LIMIT 1'
    )


def used_by_counter(counter: str, measurement: str, scope: Scope) -> str:
    """Per meter, the sum of the counter's steps between consecutive readings in the scope;
    a step down (a reset) is dropped."""
    return (
        f'SELECT sum("used") FROM (SELECT non_negative_difference({quote_ident(counter)}) AS "used" '
        f'FROM {quote_ident(measurement)} WHERE {scope.where()} GROUP BY "meter") GROUP BY "meter"'
    )


def hourly_consumption(scope: Scope) -> str:
    """Consumption per hour, utility and meter from the hourly rollup (counter differences with
    resets and meter replacements handled; `resets` is not read here)."""
    return (
        f'SELECT sum("consumption") FROM {rollup_from(METER_CONSUMPTION_1H)} WHERE {scope.where()} '
        f'GROUP BY time(1h), "utility", "meter" fill(none)'
    )


def hourly_resets(scope: Scope) -> str:
    """Counter events (resets, replacements) per utility and meter in the hourly rollup."""
    return (
        f'SELECT sum("resets") FROM {rollup_from(METER_CONSUMPTION_1H)} WHERE {scope.where()} '
        f'GROUP BY "utility", "meter"'
    )


def agent_status(site: str, time: str) -> str:
    """The latest status each agent reported, per agent (`site` an InfluxQL condition)."""
    fields = ", ".join(f"last({quote_ident(f)}) AS {quote_ident(f)}" for f in AGENT_FIELDS)
    return (
        f'SELECT {fields} FROM {quote_ident(AGENT_STATUS)} WHERE {site} AND {time} GROUP BY "agent"'
    )
