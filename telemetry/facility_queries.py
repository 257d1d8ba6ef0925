"""InfluxQL for the live figures of sites and agents: one builder for the Grafana facility and
operations boards (`dashboards/boards/facility.py`, `operations.py`) and the portal's staff
pages (`api/web/facility_pages.py`, `operations_page.py`, through `stores/facility_live.py`
and `stores/operations_live.py`), so a facility manager or an operator sees the same number
in both.

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
    COLLECTOR_AGENT_STATS,
    COLLECTOR_STATS,
    COUNTER_EVENTS,
    METER_CONSUMPTION_1H,
    REJECTED,
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
    extra: str | None = None  # one more condition (the page's sparkline leaves out bad readings)

    @classmethod
    def exact(cls, site: str, start_ms: int, end_ms: int, meter: str | None = None) -> Scope:
        """One site (and meter), the half-open window [start, end) in epoch ms."""
        return cls(
            tag_eq(TAG_SITE, site),
            time_window(start_ms, end_ms),
            tag_eq(TAG_METER, meter) if meter is not None else None,
        )

    def where(self) -> str:
        parts = [self.site, *(c for c in (self.meter, self.extra) if c), self.time]
        return " AND ".join(parts)


def measurements(names: Iterable[str]) -> str:
    return ", ".join(quote_ident(n) for n in names)


def mean_by_meter(field: str, measurement: str, scope: Scope, every: str) -> str:
    """A gauge's mean per `every` and meter (the board's `$__interval`, the page's sparkline)."""
    return (
        f"SELECT mean({quote_ident(field)}) FROM {quote_ident(measurement)} WHERE {scope.where()} "
        f'GROUP BY time({every}), "meter" fill(null)'
    )


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


def counter_events(where: str, limit: int = 100) -> str:
    """The counter events the rollup settled (glitch, spike, reset, replaced meter), newest
    first (`where` an InfluxQL condition: the board's time, the page's site and day)."""
    return (
        'SELECT "site", "meter", "utility", "kind", "value", "previous", "amount" '
        f"FROM {rollup_from(COUNTER_EVENTS)} WHERE {where} ORDER BY time DESC LIMIT {int(limit)}"
    )


def agent_status(site: str, time: str) -> str:
    """The latest status each agent reported, per agent (`site` an InfluxQL condition)."""
    fields = ", ".join(f"last({quote_ident(f)}) AS {quote_ident(f)}" for f in AGENT_FIELDS)
    return (
        f'SELECT {fields} FROM {quote_ident(AGENT_STATUS)} WHERE {site} AND {time} GROUP BY "agent"'
    )


# --- the operators' figures (the Grafana operations board and the portal's /operations) ---

# The agent table's columns: (field of agent_status, column name).
AGENT_TABLE = (
    ("state", "state"),
    ("meters", "meters"),
    ("meters_failing", "meters_failing"),
    ("failing", "failing"),
    ("outbox_depth", "outbox_depth"),
    ("outbox_oldest_age_s", "oldest_s"),
    ("dropped_batches", "dropped"),
    ("last_error", "last_error"),
)


def agent_table(time: str) -> str:
    """Every agent's latest status, per site and agent."""
    fields = ", ".join(f"last({quote_ident(f)}) AS {quote_ident(c)}" for f, c in AGENT_TABLE)
    return f'SELECT {fields} FROM {quote_ident(AGENT_STATUS)} WHERE {time} GROUP BY "site", "agent"'


def agent_status_time(time: str) -> str:
    """When each agent's latest status was written (a query of several `last()` answers
    time 0, so the table's rows carry no time)."""
    return f'SELECT last("state") FROM {quote_ident(AGENT_STATUS)} WHERE {time} GROUP BY "site", "agent"'


def rejected_by_reason(time: str) -> str:
    """Rejected messages per reason in the time condition."""
    return f'SELECT sum("count") AS "count" FROM {quote_ident(REJECTED)} WHERE {time} GROUP BY "reason"'


def agent_seq_gaps(time: str) -> str:
    """Sequence gaps per agent in the time condition: the most any one collector counted (they
    write increments: collector/agent_stats.py). Exact with one collector; with several, each
    sees part of an agent's batches and counts the others' as gaps, so their sum would say
    little and their largest is an upper bound."""
    per_instance = (
        f'SELECT sum("seq_gaps") AS "seq_gaps" FROM {quote_ident(COLLECTOR_AGENT_STATS)} '
        f'WHERE {time} GROUP BY "site", "agent", "instance"'
    )
    return f'SELECT max("seq_gaps") AS "seq_gaps" FROM ({per_instance}) GROUP BY "site", "agent"'


def agent_rejected_by_reason(time: str) -> str:
    """Rejected messages per agent and reason in the time condition (only agents the registry
    names; the rest are in `rejected_by_reason` alone)."""
    return (
        f'SELECT sum("rejected") AS "count" FROM {quote_ident(COLLECTOR_AGENT_STATS)} '
        f'WHERE {time} GROUP BY "site", "agent", "reason"'
    )


def meters_last_seen(counter: str, names: Iterable[str], time: str) -> str:
    """Each meter's latest counter reading, per site and meter (its time is when it was heard)."""
    return (
        f'SELECT last({quote_ident(counter)}) AS "last" FROM {measurements(names)} '
        f'WHERE {time} GROUP BY "site", "meter"'
    )


# The collector's counters, since each instance started (collector/stats.py).
COLLECTOR_COUNTERS = ("messages", "readings", "rejected", "written", "seq_gaps", "seq_duplicates")


def collector_latest(time: str) -> str:
    """Each collector instance's latest counters and lag percentiles."""
    fields = ", ".join(
        f"last({quote_ident(f)}) AS {quote_ident(f)}"
        for f in (*COLLECTOR_COUNTERS, "lag_p50_s", "lag_p99_s")
    )
    return f'SELECT {fields} FROM {quote_ident(COLLECTOR_STATS)} WHERE {time} GROUP BY "instance"'


def collector_growth(time: str) -> str:
    """How much each counter grew in the time condition, per instance (max - min: a restart
    inside the window makes it an underestimate, never an overestimate)."""
    fields = ", ".join(f"spread({quote_ident(f)}) AS {quote_ident(f)}" for f in COLLECTOR_COUNTERS)
    return f'SELECT {fields} FROM {quote_ident(COLLECTOR_STATS)} WHERE {time} GROUP BY "instance"'
