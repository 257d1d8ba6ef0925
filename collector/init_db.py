"""`python -m collector init`: the databases and retention policies on InfluxDB 1.x (idempotent).

The raw database keeps raw readings in its default policy for the raw
retention and the private rollups in the policy `rollups` (telemetry/
influx_schema.py `ROLLUP_RP`) for the rollup retention, so the downsampled
data outlive the raw data (docs/DECISIONS.md "Storage that lasts"), and
imported history (interval and cost readings) in the policy `imported`
(`IMPORTED_RP`), kept as long as the rollups (docs/DECISIONS.md "Imported
history kept at any age"), and the readings arrival markers hand the rollup
in the policy `handed` (`HANDED_RP`), kept two days. Every
statement either creates or sets what exists to the settings, so this runs on
every deploy; a changed retention applies at the next run.
"""

from __future__ import annotations

from dataclasses import dataclass

from telemetry.fields import Utility
from telemetry.influx_schema import (
    HANDED_RETENTION,
    HANDED_RP,
    IMPORTED_RP,
    ROLLUP_MEASUREMENTS,
    ROLLUP_RP,
    UTILITY_COST,
    interval_measurement,
)
from telemetry.influxql import InfluxQL, quote_ident
from telemetry.retention import influxql_duration

DAY_NS = 86_400 * 10**9
MIGRATE_STEP_DAYS = 30  # one SELECT INTO per month of a measurement: bounded work per statement
IMPORTED_MEASUREMENTS = (*(interval_measurement(u.value) for u in Utility), UTILITY_COST)


@dataclass(frozen=True)
class Layout:
    raw: str
    public: str
    raw_retention_days: int
    rollup_retention_days: int


def create_databases(url: str, token: str, layout: Layout) -> None:
    """Databases, the raw default policy's duration and the rollups' policy."""
    client = InfluxQL(url, token)
    try:
        for name in (layout.raw, layout.public):
            client.query(f"CREATE DATABASE {quote_ident(name)}", db=name)
        db = quote_ident(layout.raw)
        raw_rp = quote_ident(default_policy(client, layout.raw))
        client.query(
            f"ALTER RETENTION POLICY {raw_rp} ON {db} "
            f"DURATION {influxql_duration(layout.raw_retention_days)}",
            db=layout.raw,
        )
        rollups = influxql_duration(layout.rollup_retention_days)
        # rollups and imported history kept the rollup retention; handed readings, briefly
        for rp, duration in (
            (ROLLUP_RP, rollups),
            (IMPORTED_RP, rollups),
            (HANDED_RP, HANDED_RETENTION),
        ):
            verb = "ALTER" if rp in policies(client, layout.raw) else "CREATE"
            stmt = f"{verb} RETENTION POLICY {quote_ident(rp)} ON {db} "
            stmt += f"DURATION {duration} REPLICATION 1"
            client.query(stmt, db=layout.raw)
    finally:
        client.close()


def policies(client: InfluxQL, db: str) -> dict[str, bool]:
    """The database's retention policies: name → is the default."""
    rows = client.rows(f"SHOW RETENTION POLICIES ON {quote_ident(db)}", db=db)
    return {str(r["name"]): bool(r["default"]) for r in rows}


def default_policy(client: InfluxQL, db: str) -> str:
    found = [name for name, default in policies(client, db).items() if default]
    if not found:
        raise ValueError(f"database {db!r} has no default retention policy")
    return found[0]


def migrate_rollups(url: str, token: str, raw: str) -> dict[str, int]:
    """Copy rollups a deployment wrote before the `rollups` policy into it (once).

    The copies in the default policy are left to expire with the raw data:
    InfluxDB 1.x's DROP MEASUREMENT and DELETE would remove the new copies too.
    Returns points copied per measurement.
    """
    return _migrate(url, token, raw, ROLLUP_RP, sorted(ROLLUP_MEASUREMENTS))


def migrate_imported(url: str, token: str, raw: str) -> dict[str, int]:
    """Copy imported history stored before the `imported` policy into it (once), as
    `migrate_rollups`: the old copies expire with the raw readings."""
    return _migrate(url, token, raw, IMPORTED_RP, list(IMPORTED_MEASUREMENTS))


def _migrate(url: str, token: str, raw: str, rp: str, measurements: list[str]) -> dict[str, int]:
    client = InfluxQL(url, token, timeout_s=600)
    try:
        source = default_policy(client, raw)
        return {m: _copy(client, raw, source, rp, m) for m in measurements}
    finally:
        client.close()


def _copy(client: InfluxQL, db: str, source_rp: str, rp: str, measurement: str) -> int:
    src = f"{quote_ident(source_rp)}.{quote_ident(measurement)}"
    dst = f"{quote_ident(rp)}.{quote_ident(measurement)}"
    first = _edge(client, db, src, "ASC")
    last = _edge(client, db, src, "DESC")
    if first is None or last is None:
        return 0
    copied = 0
    step = MIGRATE_STEP_DAYS * DAY_NS
    for start in range(first, last + 1, step):
        where = f"time >= {start} AND time < {min(start + step, last + 1)}"
        rows = client.rows(f"SELECT * INTO {dst} FROM {src} WHERE {where} GROUP BY *", db=db)
        copied += sum(int(r.get("written", 0)) for r in rows)
    return copied


def _edge(client: InfluxQL, db: str, src: str, order: str) -> int | None:
    rows = client.rows(f"SELECT * FROM {src} ORDER BY time {order} LIMIT 1", db=db, epoch="ns")
    return int(rows[0]["time"]) if rows else None
