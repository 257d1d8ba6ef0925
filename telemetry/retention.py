"""How long raw readings and rollups are kept, and what must fit inside that.

Raw readings are downsampled into the rollups (telemetry/influx_schema.py,
`ROLLUP_MEASUREMENTS`) before they expire only if nothing that (re)computes
a rollup from raw readings reaches back further than the raw retention: the
rollup's catch-up after downtime and its lookback, and the collector's oldest
accepted reading, whose arrival makes the rollup recompute its hours. Each
such reach also reads a meter's previous readings before its window
(`bridge_s`, a day by default) and needs a margin so the oldest hour is not
half-expired while a pass reads it. A recompute over expired raw readings
would overwrite good rollups with smaller figures, so a retention shorter
than a reach is refused at start-up rather than found out later.
"""

from __future__ import annotations

DAY_S = 86_400.0
# Shard groups expire whole, up to a shard duration (1.x: 1 day for
# retentions of 2 days to 6 months, 7 days beyond) plus the check interval
# early or late; a day of margin beyond each reach keeps a pass off data
# that is expiring under it.
MARGIN_S = DAY_S


def reach_problem(raw_retention_days: int, reaches: dict[str, float]) -> str | None:
    """Why the raw retention is too short for these reaches (name → seconds), or None.

    `raw_retention_days` 0 means forever.
    """
    if raw_retention_days == 0:
        return None
    kept_s = raw_retention_days * DAY_S
    too_far = {name: s for name, s in reaches.items() if s + MARGIN_S > kept_s}
    if not too_far:
        return None
    listed = ", ".join(f"{name} ({s / DAY_S:g} days)" for name, s in sorted(too_far.items()))
    need = max(too_far.values()) + MARGIN_S
    return (
        f"raw_retention_days={raw_retention_days} is shorter than what the rollups may "
        f"still read back from raw readings: {listed}, plus a day of margin; raw readings "
        f"would expire before they are rolled up. Keep them at least {need / DAY_S:g} "
        "days (ENERGY_RAW_RETENTION_DAYS) or shorten those settings."
    )


def policy_problem(raw_retention_days: int, rollup_retention_days: int) -> str | None:
    """The rollups must be kept at least as long as the raw readings they summarise."""
    if rollup_retention_days == 0:
        return None
    if raw_retention_days == 0 or rollup_retention_days < raw_retention_days:
        raw = "forever" if raw_retention_days == 0 else f"{raw_retention_days} days"
        return (
            f"rollup_retention_days={rollup_retention_days} is shorter than the raw "
            f"retention ({raw}): the rollups must outlive the raw readings "
            "(ENERGY_ROLLUP_RETENTION_DAYS; 0 = forever)"
        )
    return None


def influxql_duration(days: int) -> str:
    """An InfluxQL DURATION: `INF` for 0 (forever), else `<n>d`."""
    return "INF" if days == 0 else f"{days}d"


def beyond_retention(ts_s: float, raw_retention_days: int, now_s: float) -> bool:
    """Whether InfluxDB would drop a raw point stamped `ts_s` (its retention policy keeps
    `raw_retention_days`; 0 = forever) as "beyond retention policy"."""
    return raw_retention_days > 0 and ts_s < now_s - raw_retention_days * DAY_S
